package dev.tandem.health;

import java.util.Locale;

/** How one active check ended. Only {@link #PASSED} counts as a success. */
public enum CheckOutcome {
    PASSED,
    /** no connection, or no complete answer, within the check's timeout */
    TIMEOUT,
    /** the connection was refused */
    REFUSED,
    /** the connection was reset or closed before the answer was complete */
    RESET,
    /** the status code is not among the expected ones */
    STATUS,
    /** the body does not contain the expected text */
    BODY_MISMATCH,
    /** any other failure: no route, an unparseable response... */
    ERROR;

    public boolean passed() {
        return this == PASSED;
    }

    /** The name used in metrics tags and logs. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
