package dev.tandem.cluster.dns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The base64 secret of {@code cluster.dns.tsig.secret_file}, as the servers' tools write it: the bare secret,
 * knot's {@code keymgr -t} output ({@code secret: ...}) or BIND's {@code tsig-keygen} ({@code secret "...";}).
 */
public final class TsigSecret {

    private static final Pattern SECRET_LINE = Pattern.compile("secret\\s*[:\\s]\\s*\"?([A-Za-z0-9+/=]+)\"?");

    private TsigSecret() {
    }

    /** The secret as base64, checked to decode. */
    public static String read(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        Matcher m = SECRET_LINE.matcher(text);
        String secret = m.find() ? m.group(1) : text.strip();
        try {
            if (secret.isEmpty() || Base64.getDecoder().decode(secret).length == 0) {
                throw new IOException(file + ": no secret (expected: a base64 secret, or a secret: line)");
            }
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": the secret is not base64 (" + e.getMessage() + ")");
        }
        return secret;
    }

    /** Why the file cannot be used, or null. For {@code tandem check}. */
    public static String problem(Path file) {
        if (!Files.isRegularFile(file)) {
            return "no such file (expected: a file holding the TSIG key's base64 secret)";
        }
        if (!Files.isReadable(file)) {
            return "not readable by this user";
        }
        try {
            read(file);
            return null;
        } catch (IOException e) {
            String m = e.getMessage();
            return m.startsWith(file.toString() + ": ") ? m.substring(file.toString().length() + 2) : m;
        }
    }
}
