package dev.tandem.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.node.wiring.ClusterService;
import dev.tandem.node.wiring.ConfigValidation;
import dev.tandem.packaging.deb.SystemdUnit;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The systemd unit the .deb ships (src/deb/systemd/tandem.service) against what Tandem does: the file it runs
 * is the one it checks first, and systemd waits long enough for a planned stop before it kills.
 */
class ServiceUnitTest {

    static final Path UNIT = Path.of("src/deb/systemd/tandem.service");
    static final Path CONFIG = Path.of("src/deb/etc/tandem.yaml");
    static final String CONFIG_PATH = "/etc/tandem/tandem.yaml";

    @Test
    void aStopGetsTheHandoverTheLeaveAndTheDrainBeforeSystemdKills() throws Exception {
        SystemdUnit unit = SystemdUnit.read(UNIT);
        Duration drain = ConfigValidation.standard().load(CONFIG, 0).config().shutdown().drainTimeout();
        Duration stop = ClusterService.STOP_HANDOVER_LIMIT.plus(ClusterService.LEAVE_LIMIT).plus(drain);
        Duration timeout = unit.seconds("Service", "TimeoutStopSec");
        // A few seconds more for the JVM to close the admin listener and exit.
        assertTrue(timeout.compareTo(stop.plusSeconds(5)) >= 0,
                "TimeoutStopSec=" + timeout + " leaves no room for a stop of up to " + stop);
        assertEquals("SIGTERM", unit.one("Service", "KillSignal"));
        assertEquals("mixed", unit.one("Service", "KillMode"), "SIGTERM to Tandem only; its children are its own");
    }

    @Test
    void theConfigThatRunsIsTheConfigThatWasCheckedAndAReloadChecksBeforeItSignals() throws Exception {
        SystemdUnit unit = SystemdUnit.read(UNIT);
        String check = "/usr/bin/tandem check " + CONFIG_PATH;
        assertEquals("/usr/bin/tandem run --config " + CONFIG_PATH, unit.one("Service", "ExecStart"));
        assertTrue(unit.one("Service", "ExecStartPre").endsWith(check), unit.one("Service", "ExecStartPre"));
        List<String> reload = unit.all("Service", "ExecReload");
        assertEquals(2, reload.size(), reload.toString());
        assertTrue(reload.get(0).endsWith(check), reload.toString());
        assertEquals("/bin/kill -HUP $MAINPID", reload.get(1), "Signals: SIGHUP reloads");
    }

    @Test
    void afterEveryStopTheCleanupRemovesWhatTheNodeLeftOnTheHost() throws Exception {
        SystemdUnit unit = SystemdUnit.read(UNIT);
        String post = unit.one("Service", "ExecStopPost");
        assertTrue(post.endsWith("/usr/bin/tandem cleanup --config " + CONFIG_PATH), post);
        // Not "+": the service's own user and CAP_NET_ADMIN remove addresses and nft tables, as they added them.
        assertTrue(post.startsWith("/"), post);
        assertTrue(unit.one("Service", "AmbientCapabilities").contains("CAP_NET_ADMIN"));
    }
}
