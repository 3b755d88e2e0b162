package dev.tandem.node.wiring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.node.reload.ReloadResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Twenty reloads in ten seconds under a steady keep-alive load: not one request may fail, and requests on
 * connections opened before a reload must see the new config.
 */
class ReloadUnderLoadTest {

    private static final int CLIENTS = 4;
    private static final int RELOADS = 20;
    private static final Duration BETWEEN_RELOADS = Duration.ofMillis(500);

    @Test
    void twentyReloadsUnderKeepAliveLoadFailNoRequest(@TempDir Path dir) throws Exception {
        try (TestBackend a = TestBackend.start("a"); TestBackend b = TestBackend.start("b");
             TestBackend c = TestBackend.start("c")) {
            // Two configs that differ in what the request path sees: weights, and a third server in and out.
            String one = TestNodes.config(TestNodes.server(a, 1) + "\n" + TestNodes.server(b, 1), "");
            String two = TestNodes.config(TestNodes.server(a, 3) + "\n" + TestNodes.server(b, 1) + "\n"
                    + TestNodes.server(c, 2), "");
            Node node = TestNodes.start(dir, one);
            Path file = dir.resolve("tandem.yaml");
            try {
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(5)).build();
                URI uri = URI.create(TestNodes.proxyUrl(node, "/load"));
                AtomicBoolean running = new AtomicBoolean(true);
                AtomicLong ok = new AtomicLong();
                ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
                List<Thread> loaders = new ArrayList<>();
                for (int i = 0; i < CLIENTS; i++) {
                    Thread t = new Thread(() -> {
                        // Bounded: stops when the reloads are done, and after 60s whatever happens.
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                        while (running.get() && System.nanoTime() < deadline) {
                            try {
                                HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri)
                                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                                if (r.statusCode() == 200) {
                                    ok.incrementAndGet();
                                } else {
                                    failures.add("HTTP " + r.statusCode() + ": " + r.body());
                                }
                            } catch (Exception e) {
                                failures.add(e.toString());
                            }
                        }
                    }, "load-" + i);
                    t.start();
                    loaders.add(t);
                }
                long before = ok.get();
                // Paced by a scheduler: one reload every 500ms, through the file and the reload path SIGHUP and
                // the API use.
                ConcurrentLinkedQueue<ReloadResult> results = new ConcurrentLinkedQueue<>();
                CountDownLatch done = new CountDownLatch(RELOADS);
                AtomicInteger round = new AtomicInteger();
                ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
                pacer.scheduleAtFixedRate(() -> {
                    int i = round.incrementAndGet();
                    if (i > RELOADS) {
                        return;
                    }
                    try {
                        TestNodes.replaceFile(file, i % 2 == 1 ? two : one);
                        results.add(node.reload("test").get(10, TimeUnit.SECONDS));
                    } catch (Exception e) {
                        failures.add("reload " + i + ": " + e);
                    } finally {
                        done.countDown();
                    }
                }, BETWEEN_RELOADS.toMillis(), BETWEEN_RELOADS.toMillis(), TimeUnit.MILLISECONDS);
                try {
                    assertTrue(done.await(60, TimeUnit.SECONDS), "reloads finished");
                } finally {
                    pacer.shutdownNow();
                }
                for (ReloadResult r : results) {
                    assertTrue(r.ok(), () -> "reload rejected: " + r);
                }
                long duringReloads = ok.get() - before;
                running.set(false);
                for (Thread t : loaders) {
                    t.join(TimeUnit.SECONDS.toMillis(15));
                }
                assertEquals(List.of(), List.copyOf(failures), "failed requests");
                assertTrue(duringReloads > 100, "too little load to mean anything: " + duringReloads);
                assertTrue(node.reloader().current().version() >= 1 + RELOADS, "every reload applied");
                assertTrue(c.requests() > 0, "the server added by reload took requests");
                // Keep-alive all along: the clients' connections were not replaced at each reload.
                assertTrue(node.proxy().connections() <= CLIENTS,
                        "client connections kept alive: " + node.proxy().connections());
            } finally {
                node.stop(Duration.ofSeconds(5));
            }
        }
    }
}
