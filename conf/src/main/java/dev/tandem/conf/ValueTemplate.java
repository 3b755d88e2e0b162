package dev.tandem.conf;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * A header value, a redirect target or a response body with nginx-style variables ({@code $host},
 * {@code ${uri}}), parsed once when the config is read. A {@code $} not followed by a letter stays literal.
 *
 * @param parts literals (String) and variables ({@link Variable}), in order
 */
public record ValueTemplate(String text, List<Object> parts) {

    /** The variables a template may use; each is the request's, as nginx defines the variable of that name. */
    public enum Variable {
        /** The request's host name, lowercased, without the port. */
        HOST,
        /** {@code http} or {@code https}, as the client spoke to Tandem. */
        SCHEME,
        /** The request-target as the client sent it: path and query, percent-encoded. */
        REQUEST_URI,
        /** The path, percent-decoded and normalized (dot segments resolved, slashes merged). */
        URI,
        /** The query string without the {@code ?}; empty when there is none. */
        ARGS,
        /** The address of the client connection. */
        REMOTE_ADDR,
        /** The name of this node. */
        NODE;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static List<String> keys() {
            List<String> keys = new ArrayList<>();
            for (Variable v : values()) {
                keys.add(v.key());
            }
            return keys;
        }
    }

    public ValueTemplate {
        parts = List.copyOf(parts);
    }

    /** A template without variables. */
    public static ValueTemplate literal(String text) {
        return new ValueTemplate(text, text.isEmpty() ? List.of() : List.of(text));
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException naming the unknown variable, as {@code $name (expected: ...)}
     */
    public static ValueTemplate parse(String text) {
        List<Object> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            boolean braced = c == '$' && i + 1 < text.length() && text.charAt(i + 1) == '{';
            int start = braced ? i + 2 : i + 1;
            if (c != '$' || start >= text.length() || !isNameStart(text.charAt(start))) {
                literal.append(c);
                i++;
                continue;
            }
            int end = start;
            while (end < text.length() && isNamePart(text.charAt(end))) {
                end++;
            }
            String name = text.substring(start, end);
            if (braced) {
                if (end >= text.length() || text.charAt(end) != '}') {
                    throw new IllegalArgumentException("${" + name + " without its '}' (expected: ${name} or $name)");
                }
                end++;
            }
            Variable v = variable(name);
            if (v == null) {
                throw new IllegalArgumentException("unknown variable $" + name + " (expected: one of $"
                        + String.join(", $", Variable.keys()) + ")");
            }
            if (literal.length() > 0) {
                parts.add(literal.toString());
                literal.setLength(0);
            }
            parts.add(v);
            i = end;
        }
        if (literal.length() > 0) {
            parts.add(literal.toString());
        }
        return new ValueTemplate(text, parts);
    }

    /** The variable named {@code name} (case matters, as in nginx), or null. */
    public static Variable variable(String name) {
        for (Variable v : Variable.values()) {
            if (v.key().equals(name)) {
                return v;
            }
        }
        return null;
    }

    private static boolean isNameStart(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_';
    }

    private static boolean isNamePart(char c) {
        return isNameStart(c) || c >= '0' && c <= '9';
    }

    /** True when the value is the same for every request. */
    public boolean constant() {
        for (Object p : parts) {
            if (p instanceof Variable) {
                return false;
            }
        }
        return true;
    }

    /** The value with each variable replaced by {@code values}' answer for it (null counts as empty). */
    public String expand(Function<Variable, String> values) {
        if (parts.size() == 1) {
            // A constant, or one variable alone ("$host"): no copy to make.
            if (parts.get(0) instanceof String s) {
                return s;
            }
            String value = values.apply((Variable) parts.get(0));
            return value != null ? value : "";
        }
        StringBuilder out = new StringBuilder(text.length() + 32);
        for (Object p : parts) {
            if (p instanceof Variable v) {
                String value = values.apply(v);
                if (value != null) {
                    out.append(value);
                }
            } else {
                out.append((String) p);
            }
        }
        return out.toString();
    }
}
