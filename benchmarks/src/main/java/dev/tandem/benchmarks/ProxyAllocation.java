package dev.tandem.benchmarks;

import dev.tandem.conf.Config;
import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Snapshot;
import dev.tandem.proxy.ProxyServer;
import dev.tandem.proxy.transport.Transport;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Bytes allocated and CPU time spent by the proxy's event loop per proxied request, with the {@code tandem}
 * and the {@code tandem_routes} configs of {@code benchmarks/run.sh proxy} (the same site, routes and header
 * rules), in one JVM: a real {@link ProxyServer} with one event loop, two backends on a thread of their own that
 * answer as nginx does, and a client on the main thread that keeps {@code CONNECTIONS} keep-alive
 * connections each with one request in flight. Bytes allocated per request do not depend on what else the
 * machine runs; the event loop's CPU time does a little (caches), wall-clock time a lot, so it is not printed.
 *
 * <pre>
 * java -cp benchmarks/target/classes:$(cat benchmarks/target/classpath.txt) dev.tandem.benchmarks.ProxyAllocation [REQUESTS] [plain|routes]
 * </pre>
 * With {@code -XX:StartFlightRecording=settings=profile,filename=F.jfr}, {@code JfrHotSpots F.jfr} then says
 * where the allocation goes.
 */
public final class ProxyAllocation {

    private static final int CONNECTIONS = 16;
    /** Measured rounds after the warm-up; the median is printed (the JIT and the buffer pools still move a little). */
    private static final int ROUNDS = 5;
    private static final byte[] RESPONSE = ("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 07 Dec 2026 13:00:00 GMT\r\n"
            + "Content-Type: text/plain\r\nContent-Length: 10\r\nConnection: keep-alive\r\n\r\nbackend 1\n")
            .getBytes(StandardCharsets.US_ASCII);

    private ProxyAllocation() {
    }

    public static void main(String[] args) throws Exception {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        List<String> kinds = args.length > 1 ? List.of(args[1]) : List.of("plain", "routes");
        MultiThreadIoEventLoopGroup backendLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            ServerBootstrap backends = new ServerBootstrap().group(backendLoop).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new CannedBackend());
                        }
                    });
            int[] ports = new int[2];
            for (int i = 0; i < ports.length; i++) {
                Channel backend = backends.bind("127.0.0.1", 0).sync().channel();
                ports[i] = ((InetSocketAddress) backend.localAddress()).getPort();
            }
            for (String kind : kinds) {
                measure(kind, ports, requests);
            }
        } finally {
            backendLoop.shutdownGracefully().sync();
        }
    }

    private static void measure(String kind, int[] backendPort, int requests) throws Exception {
        Path dir = Files.createTempDirectory("tandem-alloc-");
        String yaml = kind.equals("routes") ? routesConfig(backendPort) : plainConfig(backendPort);
        Config config = ConfigLoader.parse("bench.yaml", yaml, dir);
        ProxyServer server = new ProxyServer(Transport.detect(), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        server.start(new Snapshot(config, "bench", 1, "bench.yaml"));
        try {
            int port = server.boundAddress("http").getPort();
            Client client = new Client(port, CONNECTIONS);
            try {
                client.run(Math.max(requests, 20_000)); // warm-up: the JIT and the pools
                Thread loop = eventLoopThread();
                com.sun.management.ThreadMXBean threads =
                        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                double[] bytes = new double[ROUNDS];
                double[] cpu = new double[ROUNDS];
                for (int r = 0; r < ROUNDS; r++) {
                    long bytes0 = threads.getThreadAllocatedBytes(loop.getId());
                    long cpu0 = threads.getThreadCpuTime(loop.getId());
                    client.run(requests);
                    bytes[r] = (double) (threads.getThreadAllocatedBytes(loop.getId()) - bytes0) / requests;
                    cpu[r] = (threads.getThreadCpuTime(loop.getId()) - cpu0) / 1000.0 / requests;
                }
                Arrays.sort(bytes);
                Arrays.sort(cpu);
                System.out.printf("%-7s %d rounds of %,d requests on %d connections: median %,.0f bytes/request (min %,.0f, max %,.0f), "
                        + "median %.1f us event-loop CPU/request%n", kind, ROUNDS, requests, CONNECTIONS, bytes[ROUNDS / 2],
                        bytes[0], bytes[ROUNDS - 1], cpu[ROUNDS / 2]);
            } finally {
                client.close();
            }
        } finally {
            server.close();
        }
    }

    private static Thread eventLoopThread() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("tandem-io"))
                .findFirst().orElseThrow(() -> new IllegalStateException("no tandem-io thread"));
    }

    private static String head() {
        return """
                workers: 1
                listeners:
                  - name: http
                    bind: 127.0.0.1:0
                sites:
                  - hosts: ["*"]
                """;
    }

    private static String upstreams(int[] backendPorts) {
        return """
                upstreams:
                  backends:
                    balance: weighted-round-robin
                    servers:
                      - { address: 127.0.0.1:%d, weight: 1 }
                      - { address: 127.0.0.1:%d, weight: 1 }
                    keepalive: 32
                access_log: off
                """.formatted(backendPorts[0], backendPorts[1]);
    }

    static String plainConfig(int[] backendPort) {
        return head() + "    upstream: backends\n" + upstreams(backendPort);
    }

    /** {@code proxy_conf_tandem_routes} of {@code benchmarks/lib/proxies.sh}, line for line. */
    static String routesConfig(int[] backendPort) {
        StringBuilder y = new StringBuilder(head());
        y.append("    upstream: backends\n");
        y.append("    headers:\n");
        y.append("      request: { set: { X-Site: bench, X-Scheme: \"$scheme\" }, remove: [X-Debug] }\n");
        y.append("    routes:\n");
        for (int i = 0; i < 10; i++) {
            y.append("      - { exact: /health").append(i).append(", return: { status: 200, body: ok } }\n");
        }
        for (int i = 0; i < 35; i++) {
            y.append("      - { prefix: /app").append(i).append("/, upstream: backends }\n");
            y.append("      - { prefix: /app").append(i).append("/api/, upstream: backends, strip_prefix: true }\n");
        }
        for (int i = 0; i < 20; i++) {
            y.append("      - { regex: '\\.(ext").append(i).append("|x").append(i).append(")$', ignore_case: true, upstream: backends }\n");
        }
        y.append("""
                      - prefix: /
                        upstream: backends
                        headers:
                          request: { set: { X-Route: root, X-Host: "$host", X-Uri: "$uri" }, add: { X-Node: "$node" }, remove: [X-Forbidden] }
                          response: { set: { X-Frame-Options: DENY, X-Content-Type-Options: nosniff }, remove: [X-Powered-By] }
                """);
        return y + upstreams(backendPort);
    }

    /** Answers every request head it reads (GETs without a body) with {@link #RESPONSE}. */
    private static final class CannedBackend extends ChannelInboundHandlerAdapter {
        private int matched;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            try {
                int heads = 0;
                while (in.isReadable()) {
                    byte b = in.readByte();
                    matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : (b == '\r' ? 1 : 0);
                    if (matched == 4) {
                        heads++;
                        matched = 0;
                    }
                }
                for (int i = 0; i < heads; i++) {
                    ctx.write(Unpooled.wrappedBuffer(RESPONSE));
                }
                if (heads > 0) {
                    ctx.flush();
                }
            } finally {
                in.release();
            }
        }
    }

    /** Keep-alive connections, one request in flight on each, as wrk keeps them. */
    private static final class Client implements AutoCloseable {
        private final List<Socket> sockets = new ArrayList<>();
        private final byte[] request;
        private final byte[] buffer = new byte[8192];

        Client(int port, int connections) throws IOException {
            request = ("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < connections; i++) {
                Socket s = new Socket("127.0.0.1", port);
                s.setTcpNoDelay(true);
                sockets.add(s);
            }
        }

        void run(int requests) throws IOException {
            int rounds = requests / sockets.size();
            for (int r = 0; r < rounds; r++) {
                for (Socket s : sockets) {
                    s.getOutputStream().write(request);
                }
                for (Socket s : sockets) {
                    readResponse(s.getInputStream());
                }
            }
        }

        /** Reads one response with a Content-Length body; fails on anything but 200. */
        private void readResponse(InputStream in) throws IOException {
            int n = 0;
            int end = -1;
            while (end < 0) {
                int r = in.read(buffer, n, buffer.length - n);
                if (r < 0) {
                    throw new IOException("connection closed");
                }
                n += r;
                end = indexOf(buffer, n);
            }
            String head = new String(buffer, 0, end, StandardCharsets.ISO_8859_1);
            if (!head.startsWith("HTTP/1.1 200")) {
                throw new IOException("unexpected answer: " + head);
            }
            int at = head.toLowerCase().indexOf("content-length:");
            int lineEnd = head.indexOf('\r', at);
            if (lineEnd < 0) {
                lineEnd = head.length();
            }
            int length = Integer.parseInt(head.substring(at + 15, lineEnd).trim());
            int have = n - end - 4;
            while (have < length) {
                int r = in.read(buffer, 0, buffer.length);
                if (r < 0) {
                    throw new IOException("connection closed in a body");
                }
                have += r;
            }
        }

        private static int indexOf(byte[] b, int n) {
            for (int i = 0; i + 3 < n; i++) {
                if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                    return i;
                }
            }
            return -1;
        }

        @Override
        public void close() throws IOException {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
