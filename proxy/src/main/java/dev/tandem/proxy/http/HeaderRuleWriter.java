package dev.tandem.proxy.http;

import dev.tandem.conf.HeaderRules;
import dev.tandem.conf.ValueTemplate;
import dev.tandem.conf.ValueTemplate.Variable;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Applies header rules to a message's headers: for each set of rules in order, its removes, then its sets
 * (replacing every field of the name), then its adds. A value a variable filled with CR, LF or another
 * control character is not written (a set still removes what it would have replaced; the rest of the rules
 * still apply), and counted by the caller.
 */
final class HeaderRuleWriter {

    private HeaderRuleWriter() {
    }

    /**
     * @param variables the request's variables; asked only for the values of templates that use them
     * @return how many values were dropped as unsafe
     */
    static int apply(List<HeaderRules.Ops> rules, HttpHeaders headers, Function<Variable, String> variables) {
        int dropped = 0;
        for (int i = 0; i < rules.size(); i++) {
            HeaderRules.Ops ops = rules.get(i);
            for (int j = 0; j < ops.remove().size(); j++) {
                headers.remove(ops.remove().get(j));
            }
            for (Map.Entry<String, ValueTemplate> e : ops.set().entrySet()) {
                String value = e.getValue().expand(variables);
                if (RequestVariables.unsafeInHeader(value)) {
                    // What the rule meant to replace must not stay in its place (a client's own value, say).
                    headers.remove(e.getKey());
                    dropped++;
                } else {
                    headers.set(e.getKey(), value);
                }
            }
            for (Map.Entry<String, ValueTemplate> e : ops.add().entrySet()) {
                String value = e.getValue().expand(variables);
                if (RequestVariables.unsafeInHeader(value)) {
                    dropped++;
                } else {
                    headers.add(e.getKey(), value);
                }
            }
        }
        return dropped;
    }
}
