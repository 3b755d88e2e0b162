package dev.tandem.packaging.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.testkit.HttpPoller;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The lab's client: {@link HttpPoller} run in the client's namespace, asking for a URL every 10 ms for a while,
 * one line per request in its output file ({@code START_MS END_MS ok|fail DETAIL}, times from its start) and a
 * summary at the end. Every lab test measures a fault by what this client saw, so starting it, waiting for its
 * first answers and reading its output are here once, and each test asks of the {@link Result} what it asserts.
 */
final class Poller {

    private static final Pattern SUMMARY = Pattern.compile(
            "summary requests=(\\d+) ok=(\\d+) failed=(\\d+) max_gap_ms=(\\d+)(?: connections=(\\d+) retried=(\\d+))?");
    private static final Pattern T0 = Pattern.compile("t0_epoch_ms=(\\d+)");
    private static final Pattern REQUEST = Pattern.compile("(\\d+) (\\d+) (ok|fail) (.*)");

    private Poller() {
    }

    /**
     * Starts the client on {@code url} for {@code millis}, a request given up after {@code connectTimeoutMillis}
     * to connect or {@code readTimeoutMillis} to answer, each on a new connection unless {@code keepAlive}.
     */
    static Process start(Lab lab, String url, long millis, int connectTimeoutMillis, int readTimeoutMillis,
                         boolean keepAlive, Path out) throws Exception {
        return start(lab, url, millis, connectTimeoutMillis, readTimeoutMillis, keepAlive, out, null);
    }

    /**
     * As {@link #start(Lab, String, long, int, int, boolean, Path)}, ending early, with its summary, once
     * {@code until} exists ({@link #stop}); null: only after {@code millis}.
     */
    static Process start(Lab lab, String url, long millis, int connectTimeoutMillis, int readTimeoutMillis,
                         boolean keepAlive, Path out, Path until) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = Path.of(HttpPoller.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", cp, HttpPoller.class.getName(), url, "10",
                Long.toString(millis), Integer.toString(connectTimeoutMillis), Integer.toString(readTimeoutMillis)));
        if (keepAlive) {
            cmd.add("--keepalive");
        }
        if (until != null) {
            Files.deleteIfExists(until);
            cmd.addAll(List.of("--until", until.toString()));
        }
        return lab.spawn(lab.client, cmd, out);
    }

    /** Waits (up to {@code seconds}) until the client has had {@code count} answers from {@code holder}. */
    static void awaitAnswers(Path out, String holder, int count, long seconds) {
        await().atMost(seconds, TimeUnit.SECONDS).until(() -> Files.exists(out)
                && Files.readAllLines(out).stream().filter(l -> l.contains(" ok 200 " + holder + " ")).count() >= count);
    }

    /** Tells a client started with {@code until} to end now (it prints its summary and exits). */
    static void stop(Path until) throws Exception {
        Files.writeString(until, "stop\n");
    }

    /** How many answers from {@code node} the client has had to requests it began at or after {@code epochMillis}. */
    static long answersSince(Path out, String node, long epochMillis) throws Exception {
        List<String> lines = Files.readAllLines(out);
        OptionalLong t0 = lines.stream().map(T0::matcher).filter(Matcher::find)
                .mapToLong(t -> Long.parseLong(t.group(1))).findFirst();
        if (t0.isEmpty()) {
            return 0;
        }
        return lines.stream().map(REQUEST::matcher).filter(Matcher::matches)
                .filter(r -> t0.getAsLong() + Long.parseLong(r.group(1)) >= epochMillis)
                .filter(r -> r.group(3).equals("ok") && r.group(4).startsWith("200 " + node + " ")).count();
    }

    /** Waits (up to {@code seconds}) for the client to end by itself, and reads what it saw. */
    static Result finish(Process poller, Path out, long seconds) throws Exception {
        assertTrue(poller.waitFor(seconds, TimeUnit.SECONDS), "the client ends by itself");
        List<String> lines = Files.readAllLines(out);
        Matcher m = lines.stream().map(SUMMARY::matcher).filter(Matcher::find).findFirst()
                .orElseThrow(() -> new AssertionError("no summary from the client: " + lines));
        OptionalLong t0 = lines.stream().map(T0::matcher).filter(Matcher::find)
                .mapToLong(t -> Long.parseLong(t.group(1))).findFirst();
        List<Request> all = lines.stream().map(REQUEST::matcher).filter(Matcher::matches).map(r -> new Request(
                Long.parseLong(r.group(1)), Long.parseLong(r.group(2)), r.group(3).equals("ok"), r.group(4))).toList();
        return new Result(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)),
                m.group(5) == null ? -1 : Integer.parseInt(m.group(5)), m.group(6) == null ? 0 : Integer.parseInt(m.group(6)),
                t0, lines, all);
    }

    /** The client's clock (ms since it started) now: the end of its last request so far. */
    static long clientNow(Path out) throws Exception {
        List<String> lines = Files.readAllLines(out);
        for (int i = lines.size() - 1; i >= 0; i--) {
            Matcher m = REQUEST.matcher(lines.get(i));
            if (m.matches()) {
                return Long.parseLong(m.group(2));
            }
        }
        return 0;
    }

    /** One request: its start and end on the client's clock (or the wall clock, {@link Result#inEpoch()}). */
    record Request(long start, long end, boolean ok, String detail) {
    }

    /**
     * What the client saw: its summary ({@code connections} -1 and {@code retried} 0 when it does not say), and
     * its requests, both as the lines it printed and parsed.
     */
    record Result(int requests, int failed, int maxGapMillis, int connections, int retried, OptionalLong t0,
                  List<String> lines, List<Request> all) {

        boolean answeredBy(String node) {
            return lines.stream().anyMatch(l -> l.contains(" ok 200 " + node + " "));
        }

        /** The lines of the requests that failed. */
        List<String> failedLines() {
            return lines.stream().filter(l -> l.contains(" fail ")).toList();
        }

        List<Request> failures() {
            return all.stream().filter(r -> !r.ok()).toList();
        }

        /** The line of the last answer. */
        String lastOkLine() {
            return lines.stream().filter(l -> l.contains(" ok ")).reduce((a, b) -> b).orElse("");
        }

        /** What the last answer said ({@code 200 NODE ...}). */
        String lastAnswer() {
            return all.stream().filter(Request::ok).reduce((a, b) -> b).map(Request::detail).orElse("");
        }

        /** The node that gave the last answer. */
        String lastAnswerer() {
            return all.stream().filter(Request::ok).reduce((a, b) -> b).map(r -> r.detail().split(" ")[1]).orElse("");
        }

        /** The request that took longest ({@code START_MS END_MS ...}), to tell a slow answer from a gap. */
        String slowest() {
            return lines.stream().filter(l -> l.matches("\\d+ \\d+ .*")).max(Comparator.comparingLong(l -> {
                String[] f = l.split(" ", 3);
                return Long.parseLong(f[1]) - Long.parseLong(f[0]);
            })).orElse("");
        }

        /** The requests with their times on the wall clock (ms since the epoch), from the client's t0. */
        List<Request> inEpoch() {
            long base = t0.orElseThrow(() -> new AssertionError("no t0 from the client"));
            return all.stream().map(r -> new Request(base + r.start(), base + r.end(), r.ok(), r.detail())).toList();
        }

        /** The requests that failed, started at or after {@code epochMillis}. */
        List<Request> failedFrom(long epochMillis) {
            return inEpoch().stream().filter(r -> !r.ok() && r.start() >= epochMillis).toList();
        }

        /** The requests that failed, started before {@code epochMillis}. */
        List<Request> failedBefore(long epochMillis) {
            return inEpoch().stream().filter(r -> !r.ok() && r.start() < epochMillis).toList();
        }

        /** The longest time without an answer from {@code fromEpoch} on. */
        long gapFrom(long fromEpoch) {
            long last = fromEpoch;
            long gap = 0;
            for (Request r : inEpoch()) {
                if (r.ok() && r.end() >= fromEpoch) {
                    gap = Math.max(gap, r.end() - last);
                    last = r.end();
                }
            }
            return gap;
        }
    }
}
