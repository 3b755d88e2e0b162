package dev.tandem.proxy.upstream;

import java.util.concurrent.TimeUnit;

/**
 * How long to wait before retrying after a refusal or a reset, which is how an overloaded server sheds load:
 * retrying at once only adds to what it could not take. Exponential from {@link #BASE_NANOS}, capped, with
 * half of each delay random so that the requests a burst failed together do not come back together.
 */
public final class RetryBackoff {

    static final long BASE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    static final long MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private RetryBackoff() {
    }

    /**
     * @param failures attempts that have failed so far, at least 1
     * @param random   uniform in [0, 1)
     */
    public static long delayNanos(int failures, double random) {
        int shift = Math.min(Math.max(failures, 1) - 1, 20);
        long full = Math.min(BASE_NANOS << shift, MAX_NANOS);
        long half = full / 2;
        return half + (long) (half * random);
    }
}
