package dev.tandem.health.internal;

import dev.tandem.health.ActiveState;

/**
 * HAProxy's rise/fall counting for one server: {@code fall} consecutive failed checks take an up server
 * down, {@code rise} consecutive passed checks bring a down server back.
 *
 * <p>A server not checked yet ({@link ActiveState#UNKNOWN}) already counts as up, so it needs the same
 * {@code fall} failures as an up server to go down, and one passed check confirms it as up: waiting for
 * {@code rise} passes would change nothing for traffic and only delay the confirmation.
 *
 * <p>Not thread-safe: owned by the server's checker, on one event loop.
 */
public final class RiseFall {

    private final int rise;
    private final int fall;
    private int passes;
    private int failures;

    public RiseFall(int rise, int fall) {
        if (rise < 1 || fall < 1) {
            throw new IllegalArgumentException("rise " + rise + ", fall " + fall + " (expected: both >= 1)");
        }
        this.rise = rise;
        this.fall = fall;
    }

    /**
     * Counts one check of a server currently in {@code current}.
     *
     * @return the state the server moves to, or null when it stays in {@code current}
     */
    public ActiveState record(ActiveState current, boolean passed) {
        if (passed) {
            failures = 0;
            passes++;
            return switch (current) {
                case UP -> null;
                case UNKNOWN -> ActiveState.UP;
                case DOWN -> passes >= rise ? ActiveState.UP : null;
            };
        }
        passes = 0;
        failures++;
        return current != ActiveState.DOWN && failures >= fall ? ActiveState.DOWN : null;
    }

    /** Consecutive passed checks so far (0 after a failure). */
    public int passes() {
        return passes;
    }

    /** Consecutive failed checks so far (0 after a pass). */
    public int failures() {
        return failures;
    }
}
