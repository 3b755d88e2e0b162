package dev.tandem.node.cli;

import dev.tandem.node.wiring.Node;
import dev.tandem.proxy.transport.Transport;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;

/**
 * {@code tandem demo}: two small application servers in this process, a static root, a config that puts
 * Tandem in front of them with weights 2:1, and a short guide. The config is a real file, run the same way as
 * {@code tandem run}, so the demo shows exactly what an operator would get. Everything it writes lives in one
 * temporary directory, removed when the demo stops, by Ctrl-C (SIGINT), SIGTERM or a failed start alike.
 */
final class Demo {

    static final int PROXY_PORT = 8080;
    static final int ADMIN_PORT = 9090;

    private Demo() {
    }

    static int run(Deque<String> args, PrintStream out) throws Exception {
        int proxyPort = PROXY_PORT;
        int adminPort = ADMIN_PORT;
        while (!args.isEmpty()) {
            String a = args.poll();
            switch (a) {
                case "--port" -> proxyPort = port(Main.value(args, a), a);
                case "--admin-port" -> adminPort = port(Main.value(args, a), a);
                default -> throw new Main.UsageException("unknown option '" + a + "'");
            }
        }
        return run(out, proxyPort, adminPort);
    }

    private static int port(String value, String option) throws Main.UsageException {
        try {
            int p = Integer.parseInt(value);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new Main.UsageException(option + ": expected a port 1-65535, not '" + value + "'");
    }

    private static int run(PrintStream out, int proxyPort, int adminPort) throws Exception {
        DemoDirectory dir = DemoDirectory.create();
        Transport transport = Transport.detect();
        MultiThreadIoEventLoopGroup backends = transport.newGroup(1, "demo-backend");
        try (DemoBackend a = DemoBackend.start("A", backends, transport.serverChannel());
             DemoBackend b = DemoBackend.start("B", backends, transport.serverChannel())) {
            Path config = writeConfig(dir.path(), proxyPort, adminPort, a.port(), b.port());
            writeStaticRoot(dir.path());
            Node node = Node.start(config, transport);
            CountDownLatch stopped = new CountDownLatch(1);
            // Ctrl-C and SIGTERM end the JVM once its shutdown hooks are done: the directory goes in the hook.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                node.close();
                dir.close();
                stopped.countDown();
            }, "tandem-demo-stop"));
            printGuide(out, config, proxyPort, adminPort, a, b);
            stopped.await();
        } finally {
            backends.shutdownGracefully().syncUninterruptibly();
            dir.close();
        }
        return 0;
    }

    static Path writeConfig(Path dir, int portA, int portB) throws IOException {
        return writeConfig(dir, PROXY_PORT, ADMIN_PORT, portA, portB);
    }

    static Path writeConfig(Path dir, int proxyPort, int adminPort, int portA, int portB) throws IOException {
        String template;
        try (InputStream in = Demo.class.getResourceAsStream("demo.yaml")) {
            if (in == null) {
                throw new IOException("demo.yaml is missing from the distribution");
            }
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String yaml = template
                .replace("${PROXY_PORT}", Integer.toString(proxyPort))
                .replace("${ADMIN_PORT}", Integer.toString(adminPort))
                .replace("${BACKEND_A}", "127.0.0.1:" + portA)
                .replace("${BACKEND_B}", "127.0.0.1:" + portB)
                .replace("${DIR}", dir.toString());
        Path config = dir.resolve("tandem.yaml");
        Files.writeString(config, yaml);
        return config;
    }

    /** The demo's static root, {@code DIR/www}: a page and a stylesheet answered from disk. */
    static void writeStaticRoot(Path dir) throws IOException {
        Path www = Files.createDirectories(dir.resolve("www"));
        Files.writeString(www.resolve("hello.txt"), """
                Hello from disk: Tandem answered this file from its static root, without asking a backend.
                A path that matches the static pattern but is missing here (try /missing.txt) falls back to them.
                """);
        Files.writeString(www.resolve("style.css"), "body { font-family: sans-serif; }\n");
    }

    private static void printGuide(PrintStream out, Path config, int proxyPort, int adminPort, DemoBackend a,
                                   DemoBackend b) {
        out.printf("""

                Tandem demo is running.

                  proxy      http://127.0.0.1:%1$d/   ->  backend A (weight 2, port %3$d) and B (weight 1, port %4$d)
                  static     %7$s   (*.txt, *.css answered from disk)
                  dashboard  http://127.0.0.1:%6$d/dashboard
                  config     %2$s
                  access log %5$s

                Try:
                  for i in 1 2 3 4 5 6; do curl -s localhost:%1$d/; done     # A, B, A, A, B, A: weights 2:1
                  curl -s localhost:%1$d/hello.txt                            # from disk
                  curl -s localhost:%1$d/missing.txt                          # not on disk: falls back to A or B
                  curl -si localhost:%1$d/hello -H 'X-Forwarded-For: 1.2.3.4'  # forged XFF is replaced
                  curl -si localhost:%1$d/ -H 'Host: bad host'                 # 400
                  tandem check %2$s
                  tandem status --admin 127.0.0.1:%6$d
                  curl -X POST localhost:%6$d/api/upstreams/demo/servers/127.0.0.1:%4$d/drain   # all to A
                  (edit %2$s and save: it is reloaded; a mistake is refused and shown on the dashboard)

                Ctrl-C stops everything and removes %8$s.
                """, proxyPort, config, a.port(), b.port(), config.resolveSibling("access.log"), adminPort,
                config.resolveSibling("www"), config.getParent());
        out.flush();
    }
}
