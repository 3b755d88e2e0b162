package dev.tandem.conf.internal;

import dev.tandem.conf.Durations;
import dev.tandem.conf.Sizes;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * A value in the YAML tree at a dotted path ({@code upstreams.web.servers[1].weight}), possibly absent.
 *
 * <p>Every reader returns an empty {@link Optional} for an absent value without complaint, and for a
 * malformed one after reporting {@code path: value (expected: ...)} at the value's position; the caller
 * then carries on with its default. A key whose value is YAML null ({@code key:}, {@code key: ~}) counts
 * as absent.
 */
final class YamlValue {

    private static final int MAX_SHOWN = 60;

    private final ParseContext ctx;
    private final String path;
    private final Node node;
    /** Where a missing value is reported: the mapping that lacks the key. */
    private final Node owner;
    /** Absent because its key was misspelled, which is already reported: one mistake, one error. */
    private final boolean misspelled;

    private YamlValue(ParseContext ctx, String path, Node node, Node owner, boolean misspelled) {
        this.ctx = ctx;
        this.path = path;
        this.node = node;
        this.owner = owner;
        this.misspelled = misspelled;
    }

    public static YamlValue root(ParseContext ctx, Node node) {
        return of(ctx, "", node);
    }

    static YamlValue absent(ParseContext ctx, String path, Node owner, boolean misspelled) {
        return new YamlValue(ctx, path, null, owner, misspelled);
    }

    static YamlValue of(ParseContext ctx, String path, Node node) {
        ctx.located(path, node);
        return new YamlValue(ctx, path, node, node, false);
    }

    public String path() {
        return path;
    }

    /** The node to point at when reporting about this value. */
    public Node position() {
        return node != null ? node : owner;
    }

    public boolean isInteger() {
        return node instanceof ScalarNode s && Tag.INT.equals(s.getTag());
    }

    public boolean isMapping() {
        return node instanceof MappingNode;
    }

    public boolean isList() {
        return node instanceof SequenceNode;
    }

    public boolean isPresent() {
        return node != null && !(node instanceof ScalarNode s && Tag.NULL.equals(s.getTag()));
    }

    /** Reports {@code path: value (expected: ...)}. */
    public void fail(String expected) {
        report(shown() + " (expected: " + expected + ")");
    }

    /** Reports {@code path: message}. */
    public void report(String message) {
        ctx.report(position(), path.isEmpty() ? message : path + ": " + message);
    }

    /** Reports a missing value when absent; returns this either way so a reader can follow. */
    public YamlValue required(String expected) {
        if (!isPresent() && !misspelled) {
            fail(expected);
        }
        return this;
    }

    /** The value as written, for messages: strings quoted, numbers and booleans bare. */
    public String shown() {
        if (node == null) {
            return "missing";
        }
        if (node instanceof SequenceNode seq) {
            return seq.getValue().isEmpty() ? "[]" : "a list";
        }
        if (node instanceof MappingNode map) {
            return map.getValue().isEmpty() ? "{}" : "a mapping";
        }
        ScalarNode s = (ScalarNode) node;
        if (Tag.NULL.equals(s.getTag()) && s.getValue().isEmpty()) {
            return "empty";
        }
        String text = s.getValue().replace("\n", "\\n");
        if (text.length() > MAX_SHOWN) {
            text = text.substring(0, MAX_SHOWN) + "...";
        }
        Tag tag = s.getTag();
        boolean bare = s.isPlain() && (Tag.INT.equals(tag) || Tag.FLOAT.equals(tag) || Tag.BOOL.equals(tag) || Tag.NULL.equals(tag));
        return bare ? text : "'" + text + "'";
    }

    /** Any scalar, as its text: {@code path: 404} is the string "404" where a string is expected. */
    public Optional<String> string(String expected) {
        if (!isPresent()) {
            return Optional.empty();
        }
        if (node instanceof ScalarNode s) {
            return Optional.of(s.getValue());
        }
        fail(expected);
        return Optional.empty();
    }

    /** A scalar whose text is not empty or blank. */
    public Optional<String> nonBlank(String expected) {
        Optional<String> s = string(expected);
        if (s.isPresent() && s.get().isBlank()) {
            fail(expected);
            return Optional.empty();
        }
        return s;
    }

    /** True when this is the plain string {@code word}, e.g. {@code workers: auto}. */
    public boolean is(String word) {
        return node instanceof ScalarNode s && Tag.STR.equals(s.getTag()) && s.getValue().equals(word);
    }

    /** A scalar run through {@code parser}, whose {@code value (expected: ...)} message is reported as ours. */
    public <T> Optional<T> as(String expected, Function<String, T> parser) {
        return string(expected).flatMap(text -> {
            try {
                return Optional.of(parser.apply(text));
            } catch (IllegalArgumentException e) {
                String message = String.valueOf(e.getMessage());
                int at = message.indexOf("(expected:");
                report(at >= 0 ? shown() + " " + message.substring(at) : shown() + " (expected: " + expected + ")");
                return Optional.empty();
            }
        });
    }

    /** A YAML integer within {@code [min, max]}; a quoted number is a string and refused. */
    public Optional<Integer> integer(int min, int max) {
        String expected = max == Integer.MAX_VALUE ? "an integer >= " + min : "an integer from " + min + " to " + max;
        if (!isPresent()) {
            return Optional.empty();
        }
        Long value = node instanceof ScalarNode s && Tag.INT.equals(s.getTag()) ? yamlInt(s.getValue()) : null;
        if (value == null || value < min || value > max) {
            fail(expected);
            return Optional.empty();
        }
        return Optional.of(value.intValue());
    }

    public Optional<Boolean> bool() {
        if (!isPresent()) {
            return Optional.empty();
        }
        if (node instanceof ScalarNode s && Tag.BOOL.equals(s.getTag())) {
            return Optional.of(Boolean.parseBoolean(s.getValue().toLowerCase(java.util.Locale.ROOT)));
        }
        fail("true or false");
        return Optional.empty();
    }

    /** A duration of at least {@code min}; zero and negative ones never make sense here. */
    public Optional<Duration> duration(Duration min) {
        Optional<Duration> d = as("a duration such as 100ms, 2s, 5m or 1h", Durations::parse);
        if (d.isPresent() && d.get().compareTo(min) < 0) {
            fail(min.equals(Duration.ofMillis(1)) ? "a positive duration" : "a duration >= " + min.toMillis() + "ms");
            return Optional.empty();
        }
        return d;
    }

    /** A byte size within {@code [min, max]}, written as a number or with a k/m/g suffix. */
    public Optional<Long> size(long min, long max, String expected) {
        Optional<Long> n = as("a size such as 16384, 16k, 30m or 1g", Sizes::parse);
        if (n.isPresent() && (n.get() < min || n.get() > max)) {
            fail(expected);
            return Optional.empty();
        }
        return n;
    }

    /** A file path, resolved against the directory of the config file. */
    public Optional<Path> file() {
        return nonBlank("a file path").flatMap(text -> {
            try {
                return Optional.of(ctx.resolve(text));
            } catch (InvalidPathException e) {
                fail("a file path (" + e.getReason() + ")");
                return Optional.empty();
            }
        });
    }

    /** A mapping whose keys must be among {@code keys}; others are reported, with a suggestion. */
    public Optional<YamlObject> object(String... keys) {
        if (!isPresent()) {
            return Optional.empty();
        }
        if (node instanceof MappingNode map) {
            return Optional.of(new YamlObject(ctx, path, map, List.of(keys)));
        }
        fail("a mapping with keys " + String.join(", ", keys));
        return Optional.empty();
    }

    /** The elements of a list, each with its indexed path. */
    public Optional<List<YamlValue>> list(String expected) {
        if (!isPresent()) {
            return Optional.empty();
        }
        if (node instanceof SequenceNode seq) {
            List<YamlValue> out = new ArrayList<>();
            for (Node element : seq.getValue()) {
                out.add(of(ctx, path + "[" + out.size() + "]", element));
            }
            return Optional.of(out);
        }
        fail(expected);
        return Optional.empty();
    }

    /** This value placed as the first element of a list (a shorthand for a list of one), at {@code path[0]}. */
    YamlValue asFirstElement() {
        return of(ctx, path + "[0]", node);
    }

    /** A list that must have elements: an empty one is reported as {@code [] (expected: atLeast)}. */
    public List<YamlValue> nonEmptyList(String expected, String atLeast) {
        Optional<List<YamlValue>> items = list(expected);
        if (items.isPresent() && items.get().isEmpty()) {
            fail(atLeast);
        }
        return items.orElse(List.of());
    }

    /** A mapping of user-chosen names to values ({@code upstreams}, {@code cluster.nodes}), in file order. */
    public Optional<Map<String, YamlValue>> entries(String expected) {
        if (!isPresent()) {
            return Optional.empty();
        }
        if (!(node instanceof MappingNode map)) {
            fail(expected);
            return Optional.empty();
        }
        Map<String, YamlValue> out = new LinkedHashMap<>();
        Map<String, Node> firstKeys = new LinkedHashMap<>();
        for (NodeTuple t : map.getValue()) {
            Node keyNode = t.getKeyNode();
            YamlValue key = of(ctx, path, keyNode);
            Optional<String> name = keyNode instanceof ScalarNode ? key.nonBlank("a name") : Optional.empty();
            if (!(keyNode instanceof ScalarNode)) {
                key.report(key.shown() + " as a key (expected: a name)");
            }
            if (name.isEmpty()) {
                continue;
            }
            if (firstKeys.containsKey(name.get())) {
                ctx.report(keyNode, duplicateMessage(path, name.get(), firstKeys.get(name.get())));
                continue;
            }
            firstKeys.put(name.get(), keyNode);
            out.put(name.get(), of(ctx, child(path, name.get()), t.getValueNode()));
        }
        return Optional.of(out);
    }

    static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    static String duplicateMessage(String path, String key, Node first) {
        String line = first.getStartMark().map(m -> " (first defined at line " + (m.getLine() + 1) + ")").orElse("");
        return (path.isEmpty() ? "" : path + ": ") + "duplicate key '" + key + "'" + line;
    }

    /** YAML 1.2 core-schema integers: decimal with an optional sign, {@code 0x} hex, {@code 0o} octal. */
    private static Long yamlInt(String text) {
        try {
            if (text.startsWith("0x")) {
                return Long.parseLong(text.substring(2), 16);
            }
            if (text.startsWith("0o")) {
                return Long.parseLong(text.substring(2), 8);
            }
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
