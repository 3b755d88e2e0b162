package dev.tandem.conf.internal;

import dev.tandem.conf.Defaults;
import dev.tandem.conf.NodeHealthConfig;
import dev.tandem.conf.NodeHealthConfig.Require;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code node_health}: which upstreams must have a server up for this node to count as able to serve.
 * {@code require} is a rule word or a list of upstream names.
 */
final class NodeHealthBinder {

    private static final String RULES = "all-upstreams, any-upstream, none, or a list of upstream names";

    private final Set<String> upstreamNames;

    /** @param upstreamNames every name under {@code upstreams}, broken ones included, so one mistake is one error */
    NodeHealthBinder(Set<String> upstreamNames) {
        this.upstreamNames = upstreamNames;
    }

    NodeHealthConfig bind(YamlValue value) {
        return value.object("require").map(o -> require(o.get("require"))).orElse(Defaults.NODE_HEALTH);
    }

    private NodeHealthConfig require(YamlValue value) {
        if (!value.isPresent()) {
            return Defaults.NODE_HEALTH;
        }
        if (!value.isList()) {
            return value.as(RULES, NodeHealthBinder::rule)
                    .map(r -> new NodeHealthConfig(r, List.of()))
                    .orElse(Defaults.NODE_HEALTH);
        }
        List<YamlValue> items = value.nonEmptyList(RULES, "at least one upstream name");
        String expected = upstreamNames.isEmpty()
                ? "the name of an upstream, but none is defined"
                : "one of the upstreams: " + String.join(", ", upstreamNames);
        List<String> names = new ArrayList<>();
        boolean ok = !items.isEmpty();
        for (YamlValue item : items) {
            String name = item.nonBlank(expected).orElse(null);
            if (name == null) {
                ok = false;
            } else if (!upstreamNames.contains(name)) {
                item.fail(expected);
                ok = false;
            } else if (names.contains(name)) {
                item.fail("an upstream not already listed");
                ok = false;
            } else {
                names.add(name);
            }
        }
        return ok ? new NodeHealthConfig(Require.LISTED, names) : Defaults.NODE_HEALTH;
    }

    private static Require rule(String text) {
        Require r = Require.fromKeyword(text.trim());
        if (r == null) {
            throw new IllegalArgumentException(text + " (expected: " + RULES + ")");
        }
        return r;
    }
}
