package dev.tandem.conf.internal;

import dev.tandem.conf.ConfigError;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import dev.tandem.conf.SourceMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * One parse of one source: where it came from, what relative paths resolve against, and every problem
 * found so far. Binding never stops at the first problem, so that one run shows all of them.
 */
public final class ParseContext {

    private final String source;
    private final Path baseDir;
    private final List<ConfigError> errors = new ArrayList<>();
    private final Map<String, int[]> positions = new HashMap<>();

    public ParseContext(String source, Path baseDir) {
        this.source = source;
        this.baseDir = baseDir;
    }

    public String source() {
        return source;
    }

    /** Records a problem at the start of {@code node}. */
    public void report(Node node, String message) {
        Mark mark = node.getStartMark().orElse(null);
        report(mark, message);
    }

    /** Records a problem at {@code mark} (SnakeYAML's 0-based line and column), or at 1:1 when unknown. */
    public void report(Mark mark, String message) {
        int line = mark == null ? 1 : mark.getLine() + 1;
        int column = mark == null ? 1 : mark.getColumn() + 1;
        errors.add(new ConfigError(source, line, column, message));
    }

    /** @throws InvalidPathException when the text cannot be a path on this platform */
    Path resolve(String path) {
        return baseDir.resolve(path).normalize();
    }

    /** Remembers where the value at {@code path} was written. */
    void located(String path, Node node) {
        node.getStartMark().ifPresent(m -> positions.putIfAbsent(path, new int[] {m.getLine() + 1, m.getColumn() + 1}));
    }

    public SourceMap sources() {
        return new SourceMap(source, positions);
    }

    public boolean hasErrors() {
        return !errors.isEmpty();
    }

    public List<ConfigError> errors() {
        return List.copyOf(errors);
    }
}
