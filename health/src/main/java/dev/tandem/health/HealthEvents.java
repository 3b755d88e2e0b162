package dev.tandem.health;

/**
 * Hears about active checks. Called on the event loop that ran the check, so an implementation must be quick
 * and must not block.
 */
public interface HealthEvents {

    /** One check of {@code target} ended, before any transition it causes. */
    default void checked(HealthTarget target, CheckResult result) {
    }

    /** {@code target} went from {@code from} to {@code to} (already published). */
    default void changed(HealthTarget target, ActiveStatus from, ActiveStatus to) {
    }
}
