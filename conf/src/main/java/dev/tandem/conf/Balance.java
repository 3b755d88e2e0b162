package dev.tandem.conf;

import java.util.Locale;

/** Load-balancing policies, named in the config as their {@link #keyword()}. */
public enum Balance {
    WEIGHTED_ROUND_ROBIN,
    LEAST_CONNECTIONS,
    IP_HASH;

    public String keyword() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The policy named {@code keyword}, or null. */
    public static Balance fromKeyword(String keyword) {
        for (Balance b : values()) {
            if (b.keyword().equals(keyword)) {
                return b;
            }
        }
        return null;
    }
}
