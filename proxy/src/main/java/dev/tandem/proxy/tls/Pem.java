package dev.tandem.proxy.tls;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The blocks of a PEM file (RFC 7468): {@code -----BEGIN LABEL-----}, base64, {@code -----END LABEL-----}.
 * Text outside the blocks (comments, {@code openssl x509 -text} output) is ignored, as OpenSSL does.
 */
record Pem(String label, byte[] der) {

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\r?\\n(.*?)-----END \\1-----", Pattern.DOTALL);
    private static final Pattern HEADER = Pattern.compile("^[A-Za-z-]+:.*$", Pattern.MULTILINE);

    /**
     * Every block in {@code bytes}.
     *
     * @throws IllegalArgumentException when there is none, or a block is not base64 or is encrypted
     */
    static List<Pem> parse(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.US_ASCII);
        List<Pem> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String body = m.group(2);
            if (HEADER.matcher(body).find()) {
                // Proc-Type/DEK-Info: a traditional key encrypted with a passphrase nobody is there to type.
                throw new IllegalArgumentException("the " + m.group(1) + " is encrypted (expected: a key without a passphrase)");
            }
            try {
                blocks.add(new Pem(m.group(1), Base64.getMimeDecoder().decode(body)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the " + m.group(1) + " block is not valid base64");
            }
        }
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException("not a PEM file (no -----BEGIN ...----- block)");
        }
        return blocks;
    }
}
