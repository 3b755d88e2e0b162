package dev.tandem.benchmarks;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The load of the health-failover benchmark: GETs through a proxy at a steady rate, spread over a few
 * threads; after the warm-up, in which both backends ("backend 1", "backend 2") must have answered, it kills
 * the victim backend with SIGKILL and goes on. It prints one line, {@code LAST_MS ERRORS FIRST_MS
 * ERRORS_BEFORE_KILL REQUESTS}: the send times after the kill of the last and the first request that failed,
 * how many failed after the kill and before it, and how many were sent; and the errors by kind on stderr.
 *
 * <p>{@code java dev.tandem.benchmarks.FailoverLoad URL VICTIM_PID WARMUP_MS AFTER_MS RATE THREADS}; exits
 * with status 2 when the warm-up did not reach both backends.
 */
public final class FailoverLoad {

    private FailoverLoad() {
    }

    public static void main(String[] args) throws Exception {
        URI uri = URI.create(args[0]);
        long victim = Long.parseLong(args[1]);
        long warmup = Long.parseLong(args[2]) * 1_000_000L;
        long after = Long.parseLong(args[3]) * 1_000_000L;
        int rate = Integer.parseInt(args[4]);
        int threads = Integer.parseInt(args[5]);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        long start = System.nanoTime();
        long end = start + warmup + after;
        long period = threads * 1_000_000_000L / rate;
        List<Long> errors = new CopyOnWriteArrayList<>();
        Map<String, AtomicInteger> kinds = new ConcurrentHashMap<>();
        Set<String> answered = ConcurrentHashMap.newKeySet();
        AtomicInteger requests = new AtomicInteger();
        Thread[] senders = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            long offset = i * period / threads;
            senders[i] = new Thread(() -> {
                long next = start + offset;
                while (next < end) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    long sent = System.nanoTime();
                    requests.incrementAndGet();
                    try {
                        HttpResponse<String> response = client.send(
                                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (response.statusCode() == 200) {
                            answered.add(response.body().trim());
                        } else {
                            errors.add(sent);
                            kinds.computeIfAbsent("status " + response.statusCode(), k -> new AtomicInteger()).incrementAndGet();
                        }
                    } catch (Exception e) {
                        errors.add(sent);
                        kinds.computeIfAbsent(e.toString(), k -> new AtomicInteger()).incrementAndGet();
                    }
                    next += period;
                    if (next < System.nanoTime() - period) {
                        next = System.nanoTime();  // fell behind: no burst to catch up
                    }
                }
            });
            senders[i].start();
        }
        LockSupport.parkNanos(start + warmup - System.nanoTime());
        if (!answered.containsAll(Set.of("backend 1", "backend 2"))) {
            System.err.println("warm-up: not both backends answered: " + answered);
            System.exit(2);
        }
        long killedAt = System.nanoTime();
        ProcessHandle.of(victim).orElseThrow(() -> new IllegalStateException("no process " + victim)).destroyForcibly();
        for (Thread sender : senders) {
            sender.join();
        }
        long last = -1;
        long first = -1;
        int afterKill = 0;
        int beforeKill = 0;
        for (long t : errors) {
            if (t < killedAt) {
                beforeKill++;
                continue;
            }
            afterKill++;
            last = Math.max(last, t - killedAt);
            first = first < 0 ? t - killedAt : Math.min(first, t - killedAt);
        }
        System.out.printf("%.1f %d %.1f %d %d%n", last / 1e6, afterKill, first / 1e6, beforeKill, requests.get());
        System.err.println("errors by kind: " + kinds);
    }
}
