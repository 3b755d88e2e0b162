package dev.tandem.conf;

import java.util.List;
import java.util.Locale;

/**
 * When this node counts as able to serve, the signal the cluster tracks to hand its VIPs over: its
 * listeners are bound, and the upstreams {@link #require} names each have a server that active checks
 * do not report down.
 *
 * @param upstreams the upstreams that must each have a server up, when {@code require} is {@link Require#LISTED}
 *                  (empty otherwise)
 */
public record NodeHealthConfig(Require require, List<String> upstreams) {

    public NodeHealthConfig {
        upstreams = List.copyOf(upstreams);
        if (require == Require.LISTED ? upstreams.isEmpty() : !upstreams.isEmpty()) {
            throw new IllegalArgumentException("upstreams: " + upstreams + " (expected: names only with a listed rule)");
        }
    }

    /** Which upstreams need a server up. */
    public enum Require {
        /** every configured upstream has a server up */
        ALL_UPSTREAMS,
        /** at least one configured upstream has a server up */
        ANY_UPSTREAM,
        /** the listeners alone decide */
        NONE,
        /** each upstream named in {@link NodeHealthConfig#upstreams()} has a server up */
        LISTED;

        /** The word for this rule in the config; a list of names for {@link #LISTED}. */
        public String keyword() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** The rule spelled {@code keyword} in the config, or null ({@link #LISTED} is spelled as a list). */
        public static Require fromKeyword(String keyword) {
            for (Require r : values()) {
                if (r != LISTED && r.keyword().equals(keyword)) {
                    return r;
                }
            }
            return null;
        }
    }
}
