package dev.tandem.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * A request head as it goes to a server: the client's headers (the same object, not a copy) and the fields the
 * proxy sets, which the upstream encoder writes after the client's, leaving out every client field they
 * replace ({@link #omits}): the {@code Host} the request was routed by, the forwarding fields as octets made
 * once per connection ({@link ForwardingHeaders#fields}), and {@code Transfer-Encoding: chunked} for a chunked
 * body. Nothing of this is set in the client's headers per request; a retry writes the same head again.
 */
public final class ForwardedRequest extends DefaultHttpRequest {

    private static final byte[] HOST = "host: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHUNKED = "transfer-encoding: chunked\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final short CRLF = ('\r' << 8) | '\n';

    private final String host;
    private final byte[] forwarding;
    private final boolean chunked;

    /**
     * @param headers    the client's headers, less its hop-by-hop fields
     * @param host       the request's host, written as its {@code Host} in place of the client's; null: none
     * @param forwarding the forwarding fields, {@code name: value\r\n} each; not to be modified
     * @param chunked    the body goes chunked
     */
    public ForwardedRequest(HttpMethod method, String uri, HttpHeaders headers, String host, byte[] forwarding,
                            boolean chunked) {
        super(HttpVersion.HTTP_1_1, method, uri, headers);
        this.host = host;
        this.forwarding = forwarding;
        this.chunked = chunked;
    }

    /**
     * Whether the field {@code name} of the headers is left out where it stands: one of the proxy's fields takes
     * its place. ({@code Transfer-Encoding: chunked} stays in the headers, where the encoder's framing of the body
     * reads it, but is written with the proxy's fields, after the forwarding ones.)
     */
    public boolean omits(CharSequence name) {
        return switch (name.length()) {
            case 4 -> host != null && HttpHeaderNames.HOST.contentEqualsIgnoreCase(name);
            case 17 -> chunked && HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(name)
                    || ForwardingHeaders.replaces(name);
            default -> ForwardingHeaders.replaces(name);
        };
    }

    /** Writes the proxy's fields, after the client's, as the octets they go as. */
    public void writeOwnFields(ByteBuf buf) {
        if (host != null) {
            buf.writeBytes(HOST);
            // One octet per char, as Netty's encoder writes a value.
            buf.writeCharSequence(host, StandardCharsets.US_ASCII);
            buf.writeShort(CRLF);
        }
        buf.writeBytes(forwarding);
        if (chunked) {
            buf.writeBytes(CHUNKED);
        }
    }
}
