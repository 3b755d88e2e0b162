package dev.tandem.conf;

import dev.tandem.conf.internal.ConfigBinder;
import dev.tandem.conf.internal.ParseContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Reads the YAML config into a validated {@link Config}. Every problem in the file is reported at once,
 * each as {@code FILE:LINE:COL: field: value (expected: ...)}; the keys and their defaults are listed in
 * {@link Defaults}. Nothing here reads the files the config names (certificates, secret, static roots):
 * their owners check them.
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /** Parses and validates YAML text; sourceName appears in every error; relative paths resolve against baseDir. */
    public static Config parse(String sourceName, String text, Path baseDir) throws ConfigException {
        return parse(new ParseContext(sourceName, baseDir), text);
    }

    private static Config parse(ParseContext ctx, String text) throws ConfigException {
        String sourceName = ctx.source();
        Node root;
        try {
            // The YAML 1.2 core schema: 'yes', 'on' and 'off' stay strings, '~' is null.
            LoadSettings settings = LoadSettings.builder().setLabel(sourceName).setSchema(new CoreSchema()).build();
            // An empty file is an empty mapping, so that what it lacks is reported like anything else; so is a
            // document that is null ('~', or an anchor on nothing), which would otherwise be refused without a word.
            Node empty = new Compose(settings).composeString("{}").orElseThrow();
            root = new Compose(settings).composeString(text)
                    .filter(n -> !(n instanceof ScalarNode s && Tag.NULL.equals(s.getTag())))
                    .orElse(empty);
        } catch (MarkedYamlEngineException e) {
            ctx.report(e.getProblemMark().orElse(null), syntaxMessage(e));
            throw new ConfigException(ctx.errors());
        } catch (YamlEngineException e) {
            ctx.report((Mark) null, "YAML: " + e.getMessage());
            throw new ConfigException(ctx.errors());
        }
        Optional<Config> config = new ConfigBinder(ctx).bind(root);
        if (config.isEmpty()) {
            throw new ConfigException(ctx.errors());
        }
        return config.get();
    }

    /** Reads the file (IOException if unreadable), parses, validates; Snapshot.hash = hex SHA-256 of the file bytes, source = file path string. */
    public static Snapshot load(Path file, long version) throws IOException, ConfigException {
        byte[] content = Files.readAllBytes(file);
        Path baseDir = file.toAbsolutePath().getParent();
        return fromBytes(file.toString(), content, baseDir, version);
    }

    /** Same as load but from bytes already read (the mirror validates received bytes before writing them). */
    public static Snapshot fromBytes(String sourceName, byte[] content, Path baseDir, long version) throws ConfigException {
        ParseContext ctx = new ParseContext(sourceName, baseDir);
        Config config = parse(ctx, utf8(sourceName, content));
        return new Snapshot(config, sha256(content), version, sourceName, ctx.sources());
    }

    /** SnakeYAML's problem, with its context ("while parsing a flow sequence") and where that began. */
    private static String syntaxMessage(MarkedYamlEngineException e) {
        String problem = String.valueOf(e.getProblem()).strip();
        String context = e.getContext() == null ? "" : e.getContext().strip();
        if (!context.isEmpty() && !context.startsWith("while")) {
            // e.g. "expected a single document in the stream" + "but found another document"
            return "YAML syntax: " + context + " " + problem;
        }
        String where = e.getContextMark()
                .map(m -> " (" + context + " started at line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1) + ")")
                .orElse(context.isEmpty() ? "" : " (" + context + ")");
        return "YAML syntax: " + problem + where;
    }

    /** Strict UTF-8: a stray Latin-1 byte is an error at its place, not a silent replacement character. */
    private static String utf8(String sourceName, byte[] content) throws ConfigException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(content);
        CharBuffer out = CharBuffer.allocate(content.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            int line = 1;
            int column = 1;
            for (int i = 0; i < in.position(); i++) {
                boolean newline = content[i] == '\n';
                line += newline ? 1 : 0;
                // Count characters, not bytes: continuation bytes of a multi-byte character add nothing.
                column = newline ? 1 : (content[i] & 0xC0) == 0x80 ? column : column + 1;
            }
            throw new ConfigException(List.of(new ConfigError(sourceName, line, column, "not valid UTF-8 text")));
        }
        decoder.flush(out);
        return out.flip().toString();
    }

    private static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
