package dev.tandem.benchmarks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises a JFR recording of a loaded server: the methods where CPU samples land (self), the methods
 * most often on the stack (total), where memory is allocated, and what the garbage collector cost.
 *
 * <p>Runs from its source file, without a build: {@code java JfrHotSpots.java RECORDING.jfr [TOP]}.
 */
public final class JfrHotSpots {

    private static final int CALLERS = 6;

    private final Map<String, Long> self = new HashMap<>();
    private final Map<String, Long> selfWithCallers = new HashMap<>();
    private final Map<String, Long> total = new HashMap<>();
    private final Map<String, Long> selfPackages = new HashMap<>();
    private final Map<String, Long> allocations = new HashMap<>();
    private final Map<String, Long> allocatedTypes = new HashMap<>();
    private final Map<String, Long> threads = new HashMap<>();
    /** Per thread: bytes allocated at its first and last jdk.ThreadAllocationStatistics event, and when. */
    private final Map<String, long[]> threadAllocated = new HashMap<>();
    private long samples;
    private long nativeSamples;
    private long allocatedBytes;
    private long gcCount;
    private long gcPauseNanos;
    private long gcLongestNanos;

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: java JfrHotSpots.java RECORDING.jfr [TOP]");
            System.exit(64);
        }
        int top = args.length > 1 ? Integer.parseInt(args[1]) : 25;
        JfrHotSpots h = new JfrHotSpots();
        h.read(Path.of(args[0]));
        h.print(top);
    }

    private void read(Path file) throws IOException {
        try (RecordingFile recording = new RecordingFile(file)) {
            while (recording.hasMoreEvents()) {
                RecordedEvent e = recording.readEvent();
                switch (e.getEventType().getName()) {
                    case "jdk.ExecutionSample" -> executionSample(e);
                    case "jdk.NativeMethodSample" -> nativeSamples++;
                    case "jdk.ThreadAllocationStatistics" -> threadAllocation(e);
                    case "jdk.ObjectAllocationSample" -> allocation(e);
                    case "jdk.GarbageCollection" -> {
                        gcCount++;
                        long pause = e.getDuration("sumOfPauses").toNanos();
                        gcPauseNanos += pause;
                        gcLongestNanos = Math.max(gcLongestNanos, e.getDuration("longestPause").toNanos());
                    }
                    default -> {
                    }
                }
            }
        }
    }

    private void executionSample(RecordedEvent e) {
        RecordedStackTrace stack = e.getStackTrace();
        if (stack == null || stack.getFrames().isEmpty()) {
            return;
        }
        samples++;
        String thread = e.getThread("sampledThread") != null ? e.getThread("sampledThread").getJavaName() : "?";
        threads.merge(thread == null ? "?" : thread.replaceAll("-\\d+(-\\d+)?$", "-N"), 1L, Long::sum);
        List<RecordedFrame> frames = stack.getFrames();
        String top = name(frames.get(0));
        self.merge(top, 1L, Long::sum);
        // The callers, one line per class (a run of frames in one class is shown once), so that the chain
        // reaches the code that asked for the work.
        StringBuilder chain = new StringBuilder(top);
        String lastType = frames.get(0).getMethod() == null ? "" : frames.get(0).getMethod().getType().getName();
        int shown = 0;
        for (int i = 1; i < frames.size() && shown < CALLERS; i++) {
            RecordedMethod m = frames.get(i).getMethod();
            String type = m == null ? "?" : m.getType().getName();
            if (type.equals(lastType)) {
                continue;
            }
            lastType = type;
            chain.append("\n           <- ").append(name(frames.get(i)));
            shown++;
        }
        selfWithCallers.merge(chain.toString(), 1L, Long::sum);
        selfPackages.merge(area(frames.get(0)), 1L, Long::sum);
        Set<String> seen = new HashSet<>();
        for (RecordedFrame f : frames) {
            String n = name(f);
            if (seen.add(n)) {
                total.merge(n, 1L, Long::sum);
            }
        }
    }

    private void threadAllocation(RecordedEvent e) {
        if (e.getThread("thread") == null) {
            return;
        }
        String thread = String.valueOf(e.getThread("thread").getJavaName());
        long bytes = e.getLong("allocated");
        long at = e.getStartTime().toEpochMilli();
        threadAllocated.merge(thread, new long[] {bytes, at, bytes, at}, (a, b) -> new long[] {
            a[1] <= b[1] ? a[0] : b[0], Math.min(a[1], b[1]), a[3] >= b[3] ? a[2] : b[2], Math.max(a[3], b[3])});
    }

    private void allocation(RecordedEvent e) {
        long weight = e.getLong("weight");
        allocatedBytes += weight;
        String type = e.getClass("objectClass") != null ? e.getClass("objectClass").getName() : "?";
        allocatedTypes.merge(type, weight, Long::sum);
        RecordedStackTrace stack = e.getStackTrace();
        if (stack == null) {
            return;
        }
        // The first frame outside the JDK and Netty's allocators says who asked for the memory.
        String site = null;
        for (RecordedFrame f : stack.getFrames()) {
            String n = name(f);
            if (site == null) {
                site = n;
            }
            if (n.startsWith("dev.tandem.")) {
                site = n;
                break;
            }
        }
        allocations.merge(type + " <- " + site, weight, Long::sum);
    }

    private static String name(RecordedFrame f) {
        RecordedMethod m = f.getMethod();
        if (m == null) {
            return "?";
        }
        return m.getType().getName() + "." + m.getName();
    }

    /** A coarse owner of a frame: Tandem, Netty, the JDK, or other. */
    private static String area(RecordedFrame f) {
        RecordedMethod m = f.getMethod();
        String type = m == null ? "?" : m.getType().getName();
        if (type.startsWith("dev.tandem.")) {
            return "tandem";
        }
        if (type.startsWith("io.netty.")) {
            String rest = type.substring("io.netty.".length());
            int dot = rest.indexOf('.');
            return "netty." + (dot > 0 ? rest.substring(0, dot) : rest);
        }
        if (type.startsWith("io.micrometer.") || type.startsWith("org.HdrHistogram")) {
            return "metrics (micrometer)";
        }
        if (type.startsWith("java.") || type.startsWith("jdk.") || type.startsWith("sun.")) {
            return "jdk";
        }
        return "other";
    }

    private void print(int top) {
        System.out.printf("%d samples in Java code, %d samples of threads in native code (system calls, waiting:"
                + " JFR samples these separately and they are not in the tables below)%n", samples, nativeSamples);
        if (samples == 0) {
            return;
        }
        section("threads sampled", threads, samples, top, "%");
        section("self time by area", selfPackages, samples, top, "%");
        section("self time (top frame)", self, samples, top, "%");
        section("total time (on the stack)", total, samples, top, "%");
        section("self time with its callers", selfWithCallers, samples, Math.min(top, 12), "%");
        System.out.printf("%nallocation by thread (exact, between the first and last statistics event):%n");
        threadAllocated.entrySet().stream()
                .filter(t -> t.getValue()[2] - t.getValue()[0] > 1024 * 1024)
                .sorted(Comparator.comparingLong((Map.Entry<String, long[]> t) -> t.getValue()[0] - t.getValue()[2]))
                .forEach(t -> {
                    long[] v = t.getValue();
                    double seconds = Math.max(1, v[3] - v[1]) / 1000.0;
                    System.out.printf("  %-28s %9.1f MiB in %5.1f s = %7.1f MiB/s%n", t.getKey(),
                            (v[2] - v[0]) / 1048576.0, seconds, (v[2] - v[0]) / 1048576.0 / seconds);
                });
        System.out.printf("%nallocation (sampled, weighted): %.1f MiB in the recording%n", allocatedBytes / 1048576.0);
        section("allocated types", allocatedTypes, allocatedBytes, Math.min(top, 12), "%");
        section("allocation sites (type <- first Tandem frame, else the allocating frame)", allocations,
                allocatedBytes, Math.min(top, 15), "%");
        System.out.printf("%ngarbage collections: %d, total pause %.1f ms, longest %.2f ms%n", gcCount,
                gcPauseNanos / 1e6, gcLongestNanos / 1e6);
    }

    private static void section(String title, Map<String, Long> counts, long whole, int top, String unit) {
        System.out.printf("%n%s:%n", title);
        List<Map.Entry<String, Long>> entries = new ArrayList<>(counts.entrySet());
        entries.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()));
        for (int i = 0; i < Math.min(top, entries.size()); i++) {
            Map.Entry<String, Long> e = entries.get(i);
            System.out.printf("  %5.1f%s  %s%n", 100.0 * e.getValue() / whole, unit, e.getKey());
        }
    }
}
