package dev.tandem.proxy.routing;

import java.util.Map;
import java.util.TreeMap;

/**
 * The longest of a set of prefixes that a path starts with, in one walk down the path's characters: the cost
 * is the length of the match, whatever the number of prefixes. Immutable once built, read without locks.
 *
 * @param <V> what a prefix leads to
 */
final class PrefixTrie<V> {

    /** One character position: the characters that go on from here, sorted, and what ends here (or null). */
    private static final class Node<V> {
        final char[] next;
        final Node<V>[] children;
        final V value;

        Node(char[] next, Node<V>[] children, V value) {
            this.next = next;
            this.children = children;
            this.value = value;
        }
    }

    private final Node<V> root;

    private PrefixTrie(Node<V> root) {
        this.root = root;
    }

    /** A trie of {@code prefixes} (prefix to value; the empty prefix matches every path). */
    static <V> PrefixTrie<V> of(Map<String, V> prefixes) {
        Draft<V> root = new Draft<>();
        for (Map.Entry<String, V> e : prefixes.entrySet()) {
            Draft<V> d = root;
            for (int i = 0; i < e.getKey().length(); i++) {
                d = d.next.computeIfAbsent(e.getKey().charAt(i), c -> new Draft<>());
            }
            d.value = e.getValue();
        }
        return new PrefixTrie<>(root.freeze());
    }

    /** The value of the longest prefix of {@code path}, or null when none is. */
    V longest(String path) {
        Node<V> n = root;
        V found = n.value;
        for (int i = 0; i < path.length(); i++) {
            int k = indexOf(n.next, path.charAt(i));
            if (k < 0) {
                break;
            }
            n = n.children[k];
            if (n.value != null) {
                found = n.value;
            }
        }
        return found;
    }

    private static int indexOf(char[] sorted, char c) {
        if (sorted.length <= 8) {
            for (int i = 0; i < sorted.length; i++) {
                if (sorted[i] == c) {
                    return i;
                }
            }
            return -1;
        }
        int k = java.util.Arrays.binarySearch(sorted, c);
        return k < 0 ? -1 : k;
    }

    /** A node while the trie is built. */
    private static final class Draft<V> {
        final TreeMap<Character, Draft<V>> next = new TreeMap<>();
        V value;

        @SuppressWarnings("unchecked")
        Node<V> freeze() {
            char[] chars = new char[next.size()];
            Node<V>[] children = new Node[next.size()];
            int i = 0;
            for (Map.Entry<Character, Draft<V>> e : next.entrySet()) {
                chars[i] = e.getKey();
                children[i++] = e.getValue().freeze();
            }
            return new Node<>(chars, children, value);
        }
    }
}
