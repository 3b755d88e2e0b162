package dev.tandem.proxy.upstream;

import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The words a server's response heads are mostly made of (the version, the common status codes and reasons,
 * the usual field names), each exactly as spelt on the wire, so that {@link UpstreamHttpCodec} can hand on a
 * shared instance instead of a new string for each. A word differing in any octet, case included, is not
 * known: it is decoded as it came, and what goes on to the client is always what the server sent.
 */
final class KnownWords {

    /** One known word: its text and its octets. */
    static final class Word {
        final String text;
        private final byte[] bytes;

        Word(String text) {
            this.text = text;
            this.bytes = text.getBytes(StandardCharsets.US_ASCII);
        }

        boolean equals(byte[] sb, int start, int length) {
            if (length != bytes.length) {
                return false;
            }
            for (int i = 0; i < length; i++) {
                if (sb[start + i] != bytes[i]) {
                    return false;
                }
            }
            return true;
        }
    }

    static final Word HTTP_1_1 = new Word("HTTP/1.1");
    static final Word[] STATUS_CODES = words("200", "204", "206", "301", "302", "304", "400", "401", "403", "404",
            "500", "502", "503");
    static final Word[] REASONS = words("OK", "No Content", "Partial Content", "Moved Permanently", "Found",
            "Not Modified", "Bad Request", "Unauthorized", "Forbidden", "Not Found", "Internal Server Error",
            "Bad Gateway", "Service Unavailable");

    /** Field names in the spellings servers use (nginx, Apache, most frameworks), most frequent first. */
    private static final String[] NAME_TEXTS = {
        "Server", "Date", "Content-Type", "Content-Length", "Connection", "Transfer-Encoding", "Last-Modified",
        "ETag", "Accept-Ranges", "Cache-Control", "Expires", "Vary", "Content-Encoding", "Location", "Set-Cookie",
        "Keep-Alive", "X-Powered-By", "X-Frame-Options", "X-Content-Type-Options", "Strict-Transport-Security",
        "content-type", "content-length", "date", "server", "connection", "transfer-encoding", "cache-control",
        "vary", "etag", "last-modified", "set-cookie", "location", "content-encoding", "expires", "accept-ranges",
    };
    /** The known names by their length: a name is looked for only among those as long as it. */
    private static final AsciiString[][] NAMES_BY_LENGTH;
    private static final Word[][] WORDS_BY_LENGTH;

    static {
        int longest = 0;
        for (String n : NAME_TEXTS) {
            longest = Math.max(longest, n.length());
        }
        NAMES_BY_LENGTH = new AsciiString[longest + 1][];
        WORDS_BY_LENGTH = new Word[longest + 1][];
        for (int length = 0; length <= longest; length++) {
            List<String> of = new ArrayList<>();
            for (String n : NAME_TEXTS) {
                if (n.length() == length) {
                    of.add(n);
                }
            }
            NAMES_BY_LENGTH[length] = of.stream().map(AsciiString::cached).toArray(AsciiString[]::new);
            WORDS_BY_LENGTH[length] = words(of.toArray(new String[0]));
        }
    }

    private KnownWords() {
    }

    private static Word[] words(String... texts) {
        Word[] w = new Word[texts.length];
        for (int i = 0; i < texts.length; i++) {
            w[i] = new Word(texts[i]);
        }
        return w;
    }

    /** The text of the word of {@code words} that {@code sb[start, start + length)} is, or null. */
    static String find(Word[] words, byte[] sb, int start, int length) {
        for (Word w : words) {
            if (w.equals(sb, start, length)) {
                return w.text;
            }
        }
        return null;
    }

    /** The field name {@code sb[start, start + length)} is, as spelt there, or null when it is not a known one. */
    static AsciiString name(byte[] sb, int start, int length) {
        if (length >= WORDS_BY_LENGTH.length) {
            return null;
        }
        Word[] words = WORDS_BY_LENGTH[length];
        for (int i = 0; i < words.length; i++) {
            if (words[i].equals(sb, start, length)) {
                return NAMES_BY_LENGTH[length][i];
            }
        }
        return null;
    }

    /** Whether {@code name} is one of the instances {@link #name} hands out (a valid token, then). */
    static boolean isKnownName(AsciiString name) {
        int length = name.length();
        if (length >= NAMES_BY_LENGTH.length) {
            return false;
        }
        for (AsciiString known : NAMES_BY_LENGTH[length]) {
            if (known == name) {
                return true;
            }
        }
        return false;
    }
}
