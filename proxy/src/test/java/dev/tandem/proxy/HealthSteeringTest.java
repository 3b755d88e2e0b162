package dev.tandem.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Snapshot;
import dev.tandem.health.ActiveState;
import dev.tandem.health.LoopbackBackend;
import dev.tandem.health.LoopbackBackend.Mode;
import dev.tandem.proxy.transport.Transport;
import dev.tandem.proxy.upstream.ServerKey;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy steered by active checks, end to end: real backends on loopback that fail and recover, a real
 * client, the proxy on the data-plane transport this machine offers.
 */
class HealthSteeringTest {

    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final String HEALTH = """
                health:
                  http: {path: /health, expect_body: ok}
                  interval: 100ms
                  timeout: 500ms
                  rise: 2
                  fall: 2
            """;

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<LoopbackBackend> backends = new ArrayList<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private ProxyServer proxy;
    private long version;

    @AfterEach
    void stop() throws InterruptedException {
        if (proxy != null) {
            proxy.close(Duration.ZERO);
        }
        backends.forEach(LoopbackBackend::close);
    }

    private LoopbackBackend backend(String name) throws java.io.IOException {
        LoopbackBackend b = LoopbackBackend.start(name);
        backends.add(b);
        return b;
    }

    private static String server(LoopbackBackend b, boolean backup) {
        return "      - {address: \"" + b.hostPort() + "\"" + (backup ? ", backup: true" : "") + "}\n";
    }

    private Snapshot snapshot(String upstreams) throws Exception {
        String yaml = """
                workers: 2
                listeners:
                  - name: http
                    bind: 127.0.0.1:0
                sites:
                  - hosts: ["*"]
                    upstream: web
                upstreams:
                """ + upstreams;
        return ConfigLoader.fromBytes("t.yaml", yaml.getBytes(StandardCharsets.UTF_8), Path.of("."), ++version);
    }

    private static String web(String servers, String extra) {
        return "  web:\n    servers:\n" + servers + extra;
    }

    private void start(String upstreams) throws Exception {
        proxy = new ProxyServer(Transport.detect(), meters);
        proxy.start(snapshot(upstreams));
    }

    private ActiveState state(LoopbackBackend b) {
        return proxy.servers().get(new ServerKey("web", b.hostPort())).health().active();
    }

    private void awaitState(LoopbackBackend b, ActiveState s) {
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(10)).until(() -> state(b) == s);
    }

    private record Reply(int status, String body) {
    }

    private Reply get(String path) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + proxy.boundAddress("http").getPort() + path);
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    /** Who answered each of {@code n} requests ("ok from a" -> "a"), or the status when it was not 200. */
    private Map<String, Integer> spread(int n) throws Exception {
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        for (int i = 0; i < n; i++) {
            Reply r = get("/app");
            String who = r.status() == 200 && r.body().startsWith("ok from ") ? r.body().substring(8).trim() : "status " + r.status();
            seen.merge(who, 1, Integer::sum);
        }
        return seen;
    }

    @Test
    void trafficStopsReachingADownServerAndComesBackAfterRise() throws Exception {
        LoopbackBackend a = backend("a");
        LoopbackBackend b = backend("b");
        start(web(server(a, false) + server(b, false), HEALTH));
        awaitState(a, ActiveState.UP);
        awaitState(b, ActiveState.UP);
        assertEquals(Map.of("a", 5, "b", 5), spread(10));

        a.mode(Mode.WRONG_BODY);
        awaitState(a, ActiveState.DOWN);
        int before = a.hits("/app");
        assertEquals(Map.of("b", 20), spread(20));
        assertEquals(before, a.hits("/app"), "no request reached the down server");
        assertEquals(0.0, meters.get("tandem.upstream.server.up").tag("server", a.hostPort().toString()).gauge().value());

        a.mode(Mode.OK);
        awaitState(a, ActiveState.UP);
        assertEquals(Map.of("a", 5, "b", 5), spread(10));
    }

    @Test
    void nothingUpAnswers503AtOnceWithoutTryingAnyServer() throws Exception {
        LoopbackBackend a = backend("a");
        LoopbackBackend backup = backend("backup");
        start(web(server(a, false) + server(backup, true), HEALTH));
        a.mode(Mode.ERROR_500);
        backup.mode(Mode.ERROR_500);
        awaitState(a, ActiveState.DOWN);
        awaitState(backup, ActiveState.DOWN);

        assertEquals(Map.of("status 503", 5), spread(5));
        assertEquals(0, a.hits("/app") + backup.hits("/app"), "no attempt on a server known to be down");
        assertFalse(proxy.nodeHealth().canServe());
        assertEquals("upstream 'web' has no server up", proxy.nodeHealth().reason());
    }

    @Test
    void backupsTakeOverAndGiveBack() throws Exception {
        LoopbackBackend a = backend("a");
        LoopbackBackend backup = backend("backup");
        start(web(server(a, false) + server(backup, true), HEALTH));
        awaitState(a, ActiveState.UP);
        assertEquals(Map.of("a", 10), spread(10));

        a.refuse();
        // Until the checks notice, a refused connection is retried on the backup: nobody sees an error.
        assertEquals(Map.of("backup", 5), spread(5));
        awaitState(a, ActiveState.DOWN);
        assertEquals(Map.of("backup", 10), spread(10));

        a.restore(Mode.OK);
        awaitState(a, ActiveState.UP);
        assertEquals(Map.of("a", 10), spread(10));
        assertTrue(backup.hits("/app") >= 15);
    }

    @Test
    void steadyLoadWhileABackendDiesSeesNoError() throws Exception {
        LoopbackBackend a = backend("a");
        LoopbackBackend b = backend("b");
        start(web(server(a, false) + server(b, false), HEALTH));
        awaitState(a, ActiveState.UP);
        awaitState(b, ActiveState.UP);

        int clients = 4;
        int perClient = 400;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        AtomicInteger done = new AtomicInteger();
        AtomicBoolean killed = new AtomicBoolean();
        List<String> errors = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                for (int i = 0; i < perClient && System.nanoTime() - deadline < 0; i++) {
                    try {
                        Reply r = get("/app");
                        if (r.status() != 200) {
                            errors.add(r.status() + " " + r.body());
                        }
                    } catch (Exception e) {
                        errors.add(e.toString());
                    }
                    if (done.incrementAndGet() == clients * perClient / 4 && killed.compareAndSet(false, true)) {
                        a.refuse();
                    }
                }
            }, "client-" + c);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(Duration.ofSeconds(90).toMillis());
        }
        assertTrue(killed.get());
        assertEquals(List.of(), errors);
        assertTrue(done.get() >= clients * perClient / 2, "most of the load ran: " + done.get());
        awaitState(a, ActiveState.DOWN);
    }

    @Test
    void aReloadKeepsTheStateOfServersThatStay() throws Exception {
        LoopbackBackend a = backend("a");
        LoopbackBackend b = backend("b");
        start(web(server(a, false), HEALTH));
        a.mode(Mode.ERROR_500);
        awaitState(a, ActiveState.DOWN);

        // Other upstream settings and a new server: a stays down, b starts unknown (counted as up).
        proxy.apply(snapshot(web(server(a, false) + server(b, false), HEALTH + "    retries: 1\n")));
        assertEquals(ActiveState.DOWN, state(a));
        assertEquals(Map.of("b", 6), spread(6));

        // Changed check settings restart a's checks without forgetting that it is down.
        proxy.apply(snapshot(web(server(a, false) + server(b, false), HEALTH.replace("/health", "/ready"))));
        assertEquals(ActiveState.DOWN, state(a));
        assertEquals(Map.of("b", 4), spread(4));
        a.mode(Mode.OK);
        awaitState(a, ActiveState.UP);
        assertTrue(a.hits("/ready") >= 2);

        // A removed server's checks and meters go.
        proxy.apply(snapshot(web(server(b, false), HEALTH)));
        assertNull(meters.find("tandem.upstream.server.up").tag("server", a.hostPort().toString()).gauge());
        int checks = a.hits("/health") + a.hits("/ready");
        await().during(Duration.ofMillis(500)).atMost(PATIENCE).until(() -> a.hits("/health") + a.hits("/ready") <= checks + 1);
    }

    @Test
    void nodeHealthFlipsAndNotifies() throws Exception {
        LoopbackBackend a = backend("a");
        LoopbackBackend b = backend("b");
        start(web(server(a, false) + server(b, false), HEALTH));
        AtomicInteger notified = new AtomicInteger();
        proxy.nodeHealth().addListener(notified::incrementAndGet);
        assertTrue(proxy.nodeHealth().canServe());

        a.refuse();
        b.mode(Mode.HANG);
        await().atMost(PATIENCE).until(() -> !proxy.nodeHealth().canServe());
        assertEquals(1, notified.get());
        assertEquals("upstream 'web' has no server up", proxy.nodeHealth().reason());

        b.mode(Mode.OK);
        await().atMost(PATIENCE).until(() -> proxy.nodeHealth().canServe());
        assertEquals(2, notified.get());

        // A rule that needs no upstream: the node can serve with every server down.
        b.mode(Mode.ERROR_500);
        await().atMost(PATIENCE).until(() -> !proxy.nodeHealth().canServe());
        proxy.apply(snapshot(web(server(a, false) + server(b, false), HEALTH) + "node_health: {require: none}\n"));
        assertTrue(proxy.nodeHealth().canServe());

        proxy.close(Duration.ZERO);
        assertFalse(proxy.nodeHealth().canServe());
        assertEquals("stopping", proxy.nodeHealth().reason());
    }
}
