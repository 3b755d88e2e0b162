package dev.tandem.health;

/**
 * The result of one active check.
 *
 * @param detail what happened, in words that start with the kind of failure, for logs and status:
 *               {@code status 200}, {@code refused}, {@code timeout: no response within 1s}, {@code status 500},
 *               {@code body mismatch: ...}, {@code reset: ...}
 * @param nanos  how long the check took, from the start of the connect to the verdict
 */
public record CheckResult(CheckOutcome outcome, String detail, long nanos) {

    public boolean passed() {
        return outcome.passed();
    }
}
