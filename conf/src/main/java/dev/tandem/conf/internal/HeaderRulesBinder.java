package dev.tandem.conf.internal;

import dev.tandem.conf.HeaderRules;
import dev.tandem.conf.ValueTemplate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code headers: {request: {set, add, remove}, response: {set, add, remove}}} of a site or a route.
 *
 * <p>A rule cannot touch the forwarding headers (the upstream must be able to believe them: DESIGN.md,
 * "Forwarding headers"), nor the headers that frame a message or the connection (a rule that changed them
 * would make the proxy and its peer read different messages). A value holding CR, LF or another control
 * character is refused here; one that a variable fills with them is dropped on the request path.
 */
final class HeaderRulesBinder {

    /** Request headers whose value the proxy alone decides. */
    static final Set<String> FORWARDING = Set.of("x-forwarded-for", "x-real-ip", "x-forwarded-proto",
            "x-forwarded-host", "forwarded");
    /** Headers of a message's framing and of the connection, in either direction. */
    static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding", "connection", "keep-alive",
            "proxy-connection", "te", "trailer", "upgrade");
    /** Request headers the proxy sets from the request itself. */
    static final Set<String> REQUEST_ONLY = Set.of("host", "expect");

    private static final String TOKEN_CHARS = "!#$%&'*+-.^_`|~";

    private HeaderRulesBinder() {
    }

    static Optional<HeaderRules> bind(YamlValue value) {
        if (!value.isPresent()) {
            return Optional.of(HeaderRules.NONE);
        }
        return value.object("request", "response").flatMap(o -> {
            Optional<HeaderRules.Ops> request = ops(o.get("request"), true);
            Optional<HeaderRules.Ops> response = ops(o.get("response"), false);
            if (request.isEmpty() || response.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new HeaderRules(request.get(), response.get()));
        });
    }

    private static Optional<HeaderRules.Ops> ops(YamlValue value, boolean request) {
        if (!value.isPresent()) {
            return Optional.of(HeaderRules.Ops.NONE);
        }
        return value.object("set", "add", "remove").flatMap(o -> {
            Optional<Map<String, ValueTemplate>> set = values(o.get("set"), request);
            Optional<Map<String, ValueTemplate>> add = values(o.get("add"), request);
            Optional<List<String>> remove = names(o.get("remove"), request);
            if (set.isEmpty() || add.isEmpty() || remove.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new HeaderRules.Ops(set.get(), add.get(), remove.get()));
        });
    }

    private static Optional<Map<String, ValueTemplate>> values(YamlValue value, boolean request) {
        if (!value.isPresent()) {
            return Optional.of(Map.of());
        }
        Optional<Map<String, YamlValue>> entries = value.entries("a mapping of header name to value, e.g. {X-Frame-Options: DENY}");
        if (entries.isEmpty()) {
            return Optional.empty();
        }
        Map<String, ValueTemplate> out = new LinkedHashMap<>();
        boolean ok = true;
        for (Map.Entry<String, YamlValue> e : entries.get().entrySet()) {
            YamlValue v = e.getValue();
            String problem = nameProblem(e.getKey(), request);
            if (problem != null) {
                v.report(problem);
                ok = false;
                continue;
            }
            Optional<ValueTemplate> template = v.as("a header value, with $host, $uri, ... where wanted",
                    HeaderRulesBinder::headerTemplate);
            template.ifPresent(t -> out.put(e.getKey().toLowerCase(Locale.ROOT), t));
            ok &= template.isPresent();
        }
        return ok ? Optional.of(out) : Optional.empty();
    }

    private static Optional<List<String>> names(YamlValue value, boolean request) {
        if (!value.isPresent()) {
            return Optional.of(List.of());
        }
        Optional<List<YamlValue>> items = value.list("a list of header names, e.g. [Server]");
        if (items.isEmpty()) {
            return Optional.empty();
        }
        List<String> out = new ArrayList<>();
        boolean ok = true;
        for (YamlValue item : items.get()) {
            Optional<String> name = item.nonBlank("a header name");
            if (name.isEmpty()) {
                ok = false;
                continue;
            }
            String problem = nameProblem(name.get(), request);
            if (problem != null) {
                item.report(problem);
                ok = false;
                continue;
            }
            out.add(name.get().toLowerCase(Locale.ROOT));
        }
        return ok ? Optional.of(out) : Optional.empty();
    }

    /** Why {@code name} cannot be the subject of a rule, or null when it can. */
    static String nameProblem(String name, boolean request) {
        if (!isToken(name)) {
            return "'" + name + "' (expected: a header name, letters, digits and -)";
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (request && (FORWARDING.contains(lower) || lower.startsWith("x-forwarded-"))) {
            return "'" + name + "' is a forwarding header, which Tandem alone sets (expected: another header;"
                    + " forwarding.trusted_proxies decides whose forwarding headers are kept)";
        }
        if (FRAMING.contains(lower) || request && REQUEST_ONLY.contains(lower)) {
            return "'" + name + "' frames the message or the connection, which Tandem alone sets (expected: another header)";
        }
        return null;
    }

    /** A header value: printable text and variables; CR, LF and other controls would let the config forge headers. */
    static ValueTemplate headerTemplate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7f || c > 0xff) {
                throw new IllegalArgumentException(text + " (expected: a header value without CR, LF or other"
                        + " control characters)");
            }
        }
        return template(text.strip());
    }

    /** {@code text} as a template, an unknown variable reported with the nearest known one. */
    static ValueTemplate template(String text) {
        try {
            return ValueTemplate.parse(text);
        } catch (IllegalArgumentException e) {
            String unknown = unknownVariable(text);
            if (unknown != null) {
                Optional<String> near = Suggestions.nearest(unknown, ValueTemplate.Variable.keys());
                throw new IllegalArgumentException(text + " (expected: variables among $"
                        + String.join(", $", ValueTemplate.Variable.keys()) + "; $" + unknown + " is unknown"
                        + near.map(n -> ", did you mean $" + n + "?").orElse("") + ")");
            }
            throw new IllegalArgumentException(text + " " + e.getMessage().substring(e.getMessage().indexOf("(expected:")));
        }
    }

    private static String unknownVariable(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) != '$') {
                continue;
            }
            int start = i + 1 < text.length() && text.charAt(i + 1) == '{' ? i + 2 : i + 1;
            int end = start;
            while (end < text.length() && (Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '_')) {
                end++;
            }
            if (end > start && ValueTemplate.variable(text.substring(start, end)) == null
                    && !Character.isDigit(text.charAt(start))) {
                return text.substring(start, end);
            }
        }
        return null;
    }

    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || TOKEN_CHARS.indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
