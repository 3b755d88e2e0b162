package dev.tandem.health;

import java.time.Instant;
import java.util.Objects;

/**
 * What active checks last decided about one server, and why. Immutable: a transition publishes a new one.
 *
 * @param state  the verdict
 * @param reason why: the result of the check that caused the transition (e.g. {@code refused},
 *               {@code status 500}), or how the state was set
 * @param since  when the server entered {@code state}
 */
public record ActiveStatus(ActiveState state, String reason, Instant since) {

    public ActiveStatus {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(since, "since");
    }
}
