package dev.tandem.proxy.runtime;

import dev.tandem.conf.HeaderRules;
import dev.tandem.conf.ValueTemplate;
import dev.tandem.conf.ValueTemplate.Variable;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One direction's header rules of a route (the site's, then the route's own), compiled for the request path:
 * for each set of rules in order, its removes, then its sets (replacing every field of the name), then its
 * adds. Names are {@link AsciiString}s whose hash is worked out once, and a value without variables is one
 * too, made once: a request pays for a variable only where a rule has one.
 *
 * <p>A value a variable filled with CR, LF or another control character is not written (a set still removes
 * what it would have replaced: a client's own value must not stay in its place; the rest of the rules still
 * apply), and counted by the caller. Immutable, shared by every event loop.
 */
public final class HeaderRuleSet {

    public static final HeaderRuleSet NONE = new HeaderRuleSet(new Step[0]);

    private enum Op { REMOVE, SET, ADD }

    /** One rule: {@code value} when it has no variables, else {@code template}. */
    private record Step(Op op, AsciiString name, AsciiString value, ValueTemplate template) {
    }

    private final Step[] steps;

    private HeaderRuleSet(Step[] steps) {
        this.steps = steps;
    }

    /** The rules of {@code rules}, in the order given (the site's first), without the empty ones. */
    public static HeaderRuleSet of(List<HeaderRules.Ops> rules) {
        List<Step> steps = new ArrayList<>();
        for (HeaderRules.Ops ops : rules) {
            for (String name : ops.remove()) {
                steps.add(new Step(Op.REMOVE, AsciiString.cached(name), null, null));
            }
            add(steps, Op.SET, ops.set());
            add(steps, Op.ADD, ops.add());
        }
        return steps.isEmpty() ? NONE : new HeaderRuleSet(steps.toArray(new Step[0]));
    }

    private static void add(List<Step> steps, Op op, Map<String, ValueTemplate> values) {
        for (Map.Entry<String, ValueTemplate> e : values.entrySet()) {
            ValueTemplate t = e.getValue();
            // The binder refused control characters in the config: a constant is safe as it is.
            steps.add(t.constant() ? new Step(op, AsciiString.cached(e.getKey()), new AsciiString(t.expand(v -> "")), null)
                    : new Step(op, AsciiString.cached(e.getKey()), null, t));
        }
    }

    public boolean isEmpty() {
        return steps.length == 0;
    }

    /** How many rules there are (each remove, set and add counts once). */
    public int size() {
        return steps.length;
    }

    /**
     * Writes the rules into {@code headers}.
     *
     * @param variables the request's variables; asked only for the values of templates that use them
     * @return how many values were dropped as unsafe
     */
    public int apply(HttpHeaders headers, Function<Variable, String> variables) {
        int dropped = 0;
        for (Step s : steps) {
            if (s.op == Op.REMOVE) {
                headers.remove(s.name);
                continue;
            }
            CharSequence value = s.value;
            if (value == null) {
                String expanded = s.template.expand(variables);
                if (unsafeInHeader(expanded)) {
                    if (s.op == Op.SET) {
                        headers.remove(s.name);
                    }
                    dropped++;
                    continue;
                }
                value = expanded;
            }
            if (s.op == Op.SET) {
                headers.set(s.name, value);
            } else {
                headers.add(s.name, value);
            }
        }
        return dropped;
    }

    /** True when {@code value} holds a control character (CR and LF above all) that a header must not carry. */
    public static boolean unsafeInHeader(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7f || c > 0xff) {
                return true;
            }
        }
        return false;
    }
}
