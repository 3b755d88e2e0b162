package dev.tandem.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import java.util.List;
import java.util.function.Consumer;

/**
 * Netty's request decoder, held to the request line of RFC 9112 section 3: {@code method SP target SP
 * HTTP/DIGIT.DIGIT}, with exactly one space between the three, none before the method, a method that is a
 * token and a version in capitals. Netty reads the line leniently (any run of spaces, tabs, vertical tabs or
 * form feeds separates its words, and the version is upper-cased before it is parsed); a server behind us
 * may read such a line differently from us, so here it is a bad request (400) instead.
 *
 * <p>The three words are taken one octet to one char (ISO-8859-1), so the target keeps every octet the
 * client sent; {@link RequestTarget} checks which octets it may hold.
 *
 * <p>The line's words are checked as the decoder splits them: the first, second and third in this order,
 * each in the buffer that holds the whole line, which is how the separators between them can be seen.
 */
class StrictRequestDecoder extends HttpRequestDecoder {

    /** RFC 9110 tchar, by octet. */
    private static final boolean[] TOKEN = new boolean[256];

    static {
        for (char c = '0'; c <= '9'; c++) {
            TOKEN[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            TOKEN[c] = true;
            TOKEN[c - 'a' + 'A'] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TOKEN[c] = true;
        }
    }

    private final Consumer<HttpMethod> decoded;
    /** Where the method, then the target, of the line being split ended. */
    private int methodEnd;
    private int targetEnd;

    /** @param decoded told the method of every request head decoded, in order (a bad one as {@code GET}) */
    StrictRequestDecoder(HttpDecoderConfig config, Consumer<HttpMethod> decoded) {
        super(config);
        this.decoded = decoded;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        int before = out.size();
        super.decode(ctx, buffer, out);
        for (int i = before; i < out.size(); i++) {
            if (out.get(i) instanceof HttpRequest request) {
                decoded.accept(request.method());
            }
        }
    }

    @Override
    protected String splitFirstWordInitialLine(byte[] line, int start, int length) {
        // The line starts where the buffer's content does; a space before the method is leading whitespace.
        if (start > 0 && (line[start - 1] == ' ' || line[start - 1] == '\t' || line[start - 1] == 0x0B
                || line[start - 1] == 0x0C || line[start - 1] == '\r')) {
            throw new IllegalArgumentException("whitespace before the request line");
        }
        if (length == 0) {
            throw new IllegalArgumentException("empty method");
        }
        for (int i = start; i < start + length; i++) {
            if (!TOKEN[line[i] & 0xFF]) {
                throw new IllegalArgumentException("method is not a token");
            }
        }
        methodEnd = start + length;
        return super.splitFirstWordInitialLine(line, start, length);
    }

    @Override
    protected String splitSecondWordInitialLine(byte[] line, int start, int length) {
        singleSpace(line, methodEnd, start);
        if (length == 0) {
            throw new IllegalArgumentException("no request target");
        }
        targetEnd = start + length;
        return super.splitSecondWordInitialLine(line, start, length);
    }

    @Override
    protected String splitThirdWordInitialLine(byte[] line, int start, int length) {
        singleSpace(line, targetEnd, start);
        if (length != 8 || line[start] != 'H' || line[start + 1] != 'T' || line[start + 2] != 'T'
                || line[start + 3] != 'P' || line[start + 4] != '/' || !digit(line[start + 5])
                || line[start + 6] != '.' || !digit(line[start + 7])) {
            throw new IllegalArgumentException("malformed HTTP version");
        }
        return super.splitThirdWordInitialLine(line, start, length);
    }

    private static void singleSpace(byte[] line, int previousEnd, int start) {
        if (start != previousEnd + 1 || line[previousEnd] != ' ') {
            throw new IllegalArgumentException("request line words not separated by one space");
        }
    }

    private static boolean digit(byte b) {
        return b >= '0' && b <= '9';
    }
}
