package dev.tandem.node.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.node.wiring.TestNodes;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code tandem demo} in a process of its own: it answers from its backends and from its static root, and
 * whichever signal stops it (Ctrl-C's SIGINT, or SIGTERM), its {@code tandem-demo-*} directory is gone after.
 */
class DemoTest {

    @TempDir
    Path tmp;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        started.forEach(Process::destroyForcibly);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private List<Path> demoDirectories() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.filter(p -> p.getFileName().toString().startsWith("tandem-demo-")).toList();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"INT", "TERM"})
    void servesFromBackendsAndDiskAndRemovesItsDirectoryWhenSignalled(String signal) throws Exception {
        int port = freePort();
        int admin = freePort();
        Path log = tmp.resolve("demo.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "demo", "--port", Integer.toString(port), "--admin-port", Integer.toString(admin))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(p);
        await().atMost(120, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .failFast("the demo exited", () -> !p.isAlive())
                .until(() -> Files.readString(log).contains("Ctrl-C stops everything"));
        assertEquals(1, demoDirectories().size(), Files.readString(log));

        String base = "http://127.0.0.1:" + port;
        HttpResponse<String> page = TestNodes.get(base + "/");
        assertEquals(200, page.statusCode());
        assertTrue(page.body().startsWith("Hello from demo backend "), page.body());
        HttpResponse<String> file = TestNodes.get(base + "/hello.txt");
        assertEquals(200, file.statusCode());
        assertTrue(file.body().startsWith("Hello from disk"), file.body());
        HttpResponse<String> missing = TestNodes.get(base + "/missing.txt");
        assertEquals(200, missing.statusCode(), "a missing static file falls back to the backends");
        assertTrue(missing.body().startsWith("Hello from demo backend "), missing.body());
        assertTrue(Files.readString(log).contains(demoDirectories().get(0).resolve("www").toString()),
                "the guide names the static root");

        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), Files.readString(log));
        assertEquals(List.of(), demoDirectories(), Files.readString(log));
    }
}
