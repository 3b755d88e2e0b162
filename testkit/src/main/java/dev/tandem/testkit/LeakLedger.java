package dev.tandem.testkit;

import java.util.ArrayList;
import java.util.List;

/**
 * Leaks reported by {@link FailingLeakDetector}. Netty instantiates detectors reflectively, so the
 * only way for them to reach the test extension is a JVM-wide ledger; it exists in test JVMs only.
 */
final class LeakLedger {

    private static final List<String> LEAKS = new ArrayList<>();

    private LeakLedger() {
    }

    static synchronized void record(String report) {
        LEAKS.add(report);
    }

    /** Returns the leaks recorded since the last call and forgets them. */
    static synchronized List<String> drain() {
        List<String> leaks = new ArrayList<>(LEAKS);
        LEAKS.clear();
        return leaks;
    }
}
