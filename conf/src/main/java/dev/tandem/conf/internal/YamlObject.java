package dev.tandem.conf.internal;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/**
 * A mapping with a fixed set of keys. Unknown and duplicate keys are reported when it is created, at the
 * offending key, so every level of the file is checked the same way.
 */
final class YamlObject {

    private final ParseContext ctx;
    private final String path;
    private final MappingNode node;
    private final Map<String, Node> values = new HashMap<>();
    /** Keys suggested for a misspelled key: their absence is that same mistake. */
    private final Set<String> suggested = new HashSet<>();

    YamlObject(ParseContext ctx, String path, MappingNode node, List<String> keys) {
        this.ctx = ctx;
        this.path = path;
        this.node = node;
        Map<String, Node> firstKeys = new HashMap<>();
        for (NodeTuple t : node.getValue()) {
            Node keyNode = t.getKeyNode();
            String key = keyNode instanceof ScalarNode s ? s.getValue() : null;
            if (key == null || !keys.contains(key)) {
                Optional<String> near = key == null ? Optional.empty() : Suggestions.nearest(key, keys);
                near.ifPresent(suggested::add);
                ctx.report(keyNode, prefix() + unknownKey(key, keyNode, keys, near));
            } else if (firstKeys.containsKey(key)) {
                ctx.report(keyNode, YamlValue.duplicateMessage(path, key, firstKeys.get(key)));
            } else {
                firstKeys.put(key, keyNode);
                values.put(key, t.getValueNode());
            }
        }
    }

    private static String unknownKey(String key, Node keyNode, List<String> keys, Optional<String> near) {
        if (key == null) {
            return "a " + (keyNode.getNodeType().name().toLowerCase(java.util.Locale.ROOT)) + " as a key (expected: one of "
                    + String.join(", ", keys) + ")";
        }
        return near.map(n -> "unknown key '" + key + "' (did you mean '" + n + "'?)")
                .orElseGet(() -> "unknown key '" + key + "' (expected: one of " + String.join(", ", keys) + ")");
    }

    private String prefix() {
        return path.isEmpty() ? "" : path + ": ";
    }

    public String path() {
        return path;
    }

    /** The value under {@code key}; absent ones report "missing" at this mapping. */
    public YamlValue get(String key) {
        Node value = values.get(key);
        String childPath = YamlValue.child(path, key);
        return value == null
                ? YamlValue.absent(ctx, childPath, node, suggested.contains(key))
                : YamlValue.of(ctx, childPath, value);
    }

    /** Reports {@code path: message} at this mapping. */
    public void report(String message) {
        ctx.report(node, prefix() + message);
    }
}
