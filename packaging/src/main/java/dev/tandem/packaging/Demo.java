package dev.tandem.packaging;

import dev.tandem.proxy.transport.Transport;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * {@code tandem demo}: two small application servers in this process, a config that puts Tandem in front
 * of them with weights 2:1, and a short guide. The config is a real file, run the same way as
 * {@code tandem run}, so the demo shows exactly what an operator would get.
 */
final class Demo {

    static final int PROXY_PORT = 8080;
    static final int ADMIN_PORT = 9090;

    private Demo() {
    }

    static int run(PrintStream out) throws Exception {
        Path dir = Files.createTempDirectory("tandem-demo-");
        Transport transport = Transport.detect();
        MultiThreadIoEventLoopGroup backends = transport.newGroup(1, "demo-backend");
        try (DemoBackend a = DemoBackend.start("A", backends, transport.serverChannel());
             DemoBackend b = DemoBackend.start("B", backends, transport.serverChannel())) {
            Path config = writeConfig(dir, a.port(), b.port());
            Node node = Node.start(config, transport);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                node.close();
                stopped.countDown();
            }, "tandem-demo-stop"));
            printGuide(out, config, a, b);
            stopped.await();
        } finally {
            backends.shutdownGracefully().syncUninterruptibly();
        }
        return 0;
    }

    static Path writeConfig(Path dir, int portA, int portB) throws IOException {
        String template;
        try (InputStream in = Demo.class.getResourceAsStream("demo.yaml")) {
            if (in == null) {
                throw new IOException("demo.yaml is missing from the distribution");
            }
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String yaml = template
                .replace("${PROXY_PORT}", Integer.toString(PROXY_PORT))
                .replace("${ADMIN_PORT}", Integer.toString(ADMIN_PORT))
                .replace("${BACKEND_A}", "127.0.0.1:" + portA)
                .replace("${BACKEND_B}", "127.0.0.1:" + portB)
                .replace("${DIR}", dir.toString());
        Path config = dir.resolve("tandem.yaml");
        Files.writeString(config, yaml);
        return config;
    }

    private static void printGuide(PrintStream out, Path config, DemoBackend a, DemoBackend b) {
        out.printf("""

                Tandem demo is running.

                  proxy      http://127.0.0.1:%1$d/   ->  backend A (weight 2, port %3$d) and B (weight 1, port %4$d)
                  dashboard  http://127.0.0.1:%6$d/dashboard
                  config     %2$s
                  access log %5$s

                Try:
                  for i in 1 2 3 4 5 6; do curl -s localhost:%1$d/; done     # A, B, A, A, B, A: weights 2:1
                  curl -si localhost:%1$d/hello -H 'X-Forwarded-For: 1.2.3.4'  # forged XFF is replaced
                  curl -si localhost:%1$d/ -H 'Host: bad host'                 # 400
                  tandem check %2$s
                  tandem status --admin 127.0.0.1:%6$d
                  curl -X POST localhost:%6$d/api/upstreams/demo/servers/127.0.0.1:%4$d/drain   # all to A
                  (edit %2$s and save: it is reloaded; a mistake is refused and shown on the dashboard)

                Ctrl-C stops everything.
                """, PROXY_PORT, config, a.port(), b.port(), config.resolveSibling("access.log"), ADMIN_PORT);
        out.flush();
    }
}
