package dev.tandem.conf.internal;

import java.util.Collection;
import java.util.Optional;

/** Finds the known keyword a mistyped one most likely meant, as HAProxy's parser does. */
final class Suggestions {

    private static final int MAX_DISTANCE = 2;

    private Suggestions() {
    }

    /** The closest candidate within two edits (a transposition counts as one), else one that extends the typo. */
    static Optional<String> nearest(String typo, Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(typo, c);
            if (d <= MAX_DISTANCE && d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        if (best == null && typo.length() >= 3) {
            for (String c : candidates) {
                if (c.startsWith(typo) || typo.startsWith(c)) {
                    return Optional.of(c);
                }
            }
        }
        return Optional.ofNullable(best);
    }

    /** Optimal string alignment distance: Levenshtein plus adjacent transpositions. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
