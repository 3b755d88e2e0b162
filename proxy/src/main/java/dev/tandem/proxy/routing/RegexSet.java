package dev.tandem.proxy.routing;

import com.google.re2j.Pattern;
import java.util.List;

/**
 * Which of a list of RE2 patterns is the first, in the list's order, to be found in a path, in few passes.
 *
 * <p>One pass of RE2/J over an alternation of many patterns finds whether any of them matches for a small part
 * of the cost of one pass per pattern (each sets up a machine; and when every pattern starts with the same
 * literal, {@code \.} say, RE2/J skips to it with {@code indexOf}), but not which comes first in the list (RE2
 * reports the leftmost match in the path). So a path no pattern matches, most paths, costs one pass over the
 * alternation of all. One that some pattern matches is then tried with the first pattern alone (a site's first
 * regex is most often the one for its static files), and else the rest are kept as a tree of alternations: the
 * rest, its two halves, their halves, down to each pattern; choosing the first half that matches at each level
 * finds the first pattern that matches in one pass per level, each over half the patterns of the one before,
 * rather than one pass per pattern. Immutable, read without locks; every pass is linear in the path.
 */
final class RegexSet {

    /**
     * The alternation of the patterns from {@code lo} on, as many as its halves {@code first} and
     * {@code second} hold; a leaf (no halves) is pattern {@code lo} itself.
     */
    private static final class Node {
        final Pattern any;
        final int lo;
        final Node first;
        final Node second;

        Node(Pattern any, int lo, Node first, Node second) {
            this.any = any;
            this.lo = lo;
            this.first = first;
            this.second = second;
        }
    }

    /** Found exactly where one of the patterns is. */
    private final Pattern any;
    private final Pattern first;
    /** The patterns after the first; null when there is only one. */
    private final Node rest;

    private RegexSet(Pattern any, Pattern first, Node rest) {
        this.any = any;
        this.first = first;
        this.rest = rest;
    }

    /** The set of {@code patterns}, in their order; null when there are none. */
    static RegexSet of(List<Pattern> patterns) {
        int n = patterns.size();
        if (n == 0) {
            return null;
        }
        return new RegexSet(n == 1 ? patterns.get(0) : alternation(patterns, 0, n), patterns.get(0),
                n == 1 ? null : node(patterns, 1, n));
    }

    private static Node node(List<Pattern> patterns, int lo, int hi) {
        if (hi - lo == 1) {
            return new Node(patterns.get(lo), lo, null, null);
        }
        int mid = (lo + hi) >>> 1;
        return new Node(alternation(patterns, lo, hi), lo, node(patterns, lo, mid), node(patterns, mid, hi));
    }

    /**
     * One pattern found exactly where one of {@code patterns[lo, hi)} is: each in a group of its own with its
     * flags (RE2's {@code (?i:...)} keeps a flag to its group).
     */
    private static Pattern alternation(List<Pattern> patterns, int lo, int hi) {
        StringBuilder all = new StringBuilder();
        for (int i = lo; i < hi; i++) {
            Pattern p = patterns.get(i);
            boolean ci = (p.flags() & Pattern.CASE_INSENSITIVE) != 0;
            all.append(i == lo ? "" : "|").append(ci ? "(?i:" : "(?:").append(p.pattern()).append(')');
        }
        return Pattern.compile(all.toString());
    }

    /** The index of the first pattern found in {@code path}, or -1 when none is. */
    int first(String path) {
        if (!any.matcher(path).find()) {
            return -1;
        }
        if (rest == null || first.matcher(path).find()) {
            return 0;
        }
        // One of the rest matches (the alternation of all did, the first did not).
        Node n = rest;
        while (n.first != null) {
            // One of n's patterns matches: the first half's if any of them does, else the second half's.
            n = n.first.any.matcher(path).find() ? n.first : n.second;
        }
        return n.lo;
    }
}
