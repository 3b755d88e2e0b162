package dev.tandem.proxy.routing;

import com.google.re2j.Pattern;
import java.util.List;

/**
 * Which of a list of RE2 patterns is the first, in the list's order, to be found in a path, in few passes.
 *
 * <p>One pass of RE2/J over an alternation of many patterns costs a small part of one pass per pattern (each
 * sets up a machine), and finds whether any of them matches, but not which comes first in the list (RE2 reports
 * the leftmost match in the path). So the patterns are kept as a tree of alternations: the whole list, its two
 * halves, their halves, down to each pattern. A path no pattern matches costs one pass over the whole (most
 * paths: and when every pattern starts with the same literal, {@code \.} say, RE2/J skips to it with
 * {@code indexOf}); one that some pattern matches costs one pass per level, each over half the patterns of the
 * one before, so about two passes over the whole: choosing the first matching half at each level finds the
 * first pattern in the list that matches. Immutable, read without locks; every pass is linear in the path.
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

    private final Node root;

    private RegexSet(Node root) {
        this.root = root;
    }

    /** The set of {@code patterns}, in their order; null when there are none. */
    static RegexSet of(List<Pattern> patterns) {
        return patterns.isEmpty() ? null : new RegexSet(node(patterns, 0, patterns.size()));
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
        Node n = root;
        if (!n.any.matcher(path).find()) {
            return -1;
        }
        while (n.first != null) {
            // One of n's patterns matches: the first half's if any of them does, else the second half's.
            n = n.first.any.matcher(path).find() ? n.first : n.second;
        }
        return n.lo;
    }
}
