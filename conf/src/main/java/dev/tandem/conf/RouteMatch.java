package dev.tandem.conf;

import com.google.re2j.Pattern;
import java.util.Optional;

/**
 * How a route matches the request path (percent-decoded and normalized, as nginx matches locations).
 *
 * @param kind  exact path, path prefix, or regular expression (found anywhere in the path unless anchored)
 * @param text  the path, the prefix or the pattern as written
 * @param regex the compiled pattern of a {@link Kind#REGEX} route (RE2 syntax, linear time); empty otherwise
 */
public record RouteMatch(Kind kind, String text, Optional<Pattern> regex) {

    /** In nginx's order of precedence: {@code location =}, {@code location} (prefix), {@code location ~}. */
    public enum Kind { EXACT, PREFIX, REGEX }

    public static RouteMatch exact(String path) {
        return new RouteMatch(Kind.EXACT, path, Optional.empty());
    }

    public static RouteMatch prefix(String prefix) {
        return new RouteMatch(Kind.PREFIX, prefix, Optional.empty());
    }

    public static RouteMatch regex(Pattern pattern) {
        return new RouteMatch(Kind.REGEX, pattern.pattern(), Optional.of(pattern));
    }

    @Override
    public String toString() {
        return switch (kind) {
            case EXACT -> "exact " + text;
            case PREFIX -> "prefix " + text;
            case REGEX -> "regex " + text + ((regex.get().flags() & Pattern.CASE_INSENSITIVE) != 0 ? " (ignore_case)" : "");
        };
    }
}
