package dev.tandem.testkit;

import io.netty.util.ResourceLeakDetector;

/**
 * The leak detector every test JVM runs with ({@code -Dio.netty.customResourceLeakDetector}).
 * Netty only logs a leak; this one also records it in {@link LeakLedger} so that
 * {@link LeakCheckExtension} can fail the test class in which it surfaced.
 */
public final class FailingLeakDetector<T> extends ResourceLeakDetector<T> {

    public FailingLeakDetector(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
    }

    /**
     * The constructor Netty looks for first; without it Netty logs an ERROR in every test JVM before it
     * falls back to the one above.
     */
    @Deprecated
    @SuppressWarnings("deprecation")
    public FailingLeakDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
        super(resourceType, samplingInterval, maxActive);
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        super.reportTracedLeak(resourceType, records);
        LeakLedger.record(resourceType + records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        super.reportUntracedLeak(resourceType);
        LeakLedger.record(resourceType + " (untraced)");
    }
}
