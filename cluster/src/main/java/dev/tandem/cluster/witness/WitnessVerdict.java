package dev.tandem.cluster.witness;

import java.util.Locale;

/** What this node knows of its witnesses: nothing yet, at least one answers, or none does. */
public enum WitnessVerdict {
    /** Not probed to a verdict yet (just started): the node takes no VIP, as if cut off. */
    PENDING,
    /** At least one witness answers, or none is configured. */
    REACHED,
    /** No witness has answered for several rounds in a row: this node may be the isolated one. */
    CUT_OFF;

    /** The word for this verdict in status and logs: {@code pending}, {@code reached}, {@code cut-off}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
