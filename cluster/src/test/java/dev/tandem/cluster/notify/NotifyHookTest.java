package dev.tandem.cluster.notify;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.cluster.vip.CommandRunner;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NotifyHookTest {

    @TempDir
    Path dir;

    @Test
    void callsTheScriptWithVipAndStateInTheOrderOfTheTransitions() throws Exception {
        Path log = dir.resolve("calls.log");
        Path script = dir.resolve("notify.sh");
        // The first call is the slowest: a second call that overtook it would be written first.
        Files.writeString(script, """
                #!/bin/sh
                if [ "$2" = MASTER ]; then sleep 0.3; fi
                echo "$1 $2 $TANDEM_REASON $TANDEM_NODE" >> "%s"
                """.formatted(log));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        NotifyHook hook = new NotifyHook(script, "lb1", CommandRunner.system(), Duration.ofSeconds(5), meters);
        hook.notify("10.0.0.10", "MASTER", "master_down");
        hook.notify("10.0.0.10", "BACKUP", "higher_priority");
        hook.notify("10.0.0.10", "INIT", "stop");
        hook.close(Duration.ofSeconds(5));
        assertEquals(List.of("10.0.0.10 MASTER master_down lb1", "10.0.0.10 BACKUP higher_priority lb1",
                "10.0.0.10 INIT stop lb1"), Files.readAllLines(log));
        assertEquals(3, meters.get("tandem_cluster_notify_total").tags("result", "ok").counter().count());
    }

    @Test
    void aHangingScriptIsKilledAndCounted() throws Exception {
        Path script = dir.resolve("hang.sh");
        Files.writeString(script, "#!/bin/sh\nsleep 10\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        NotifyHook hook = new NotifyHook(script, "lb1", CommandRunner.system(), Duration.ofMillis(200), meters);
        hook.notify("10.0.0.10", "MASTER", "startup");
        await().atMost(3, TimeUnit.SECONDS).until(() -> meters.find("tandem_cluster_notify_total")
                .tags("result", "timeout").counter() != null);
        hook.close();
    }
}
