package dev.tandem.proxy.upstream;

import dev.tandem.proxy.http.ForwardedRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpConstants;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The HTTP/1.1 codec of a connection to a server. It differs from Netty's {@code HttpClientCodec} in one
 * thing: the request-target goes out octet for octet as the client sent it. The client's decoder takes each
 * octet of the request line as one char (ISO-8859-1), and Netty's encoder writes the target as UTF-8, so
 * {@code /caf\xe9} would reach the server as {@code /caf\xc3\xa9}: a path the client never sent, against
 * which the server would match its routes and rules. Here each char of the target is written back as the
 * one octet it came from.
 *
 * <p>As Netty's codec does, it remembers which requests are HEADs, whose responses have no body.
 */
final class UpstreamHttpCodec extends CombinedChannelDuplexHandler<HttpResponseDecoder, HttpRequestEncoder> {

    /** Whether each request sent and not yet answered is a HEAD, oldest first. */
    private final ArrayDeque<Boolean> heads = new ArrayDeque<>();

    private static final int COLON_SP = (':' << 8) | ' ';
    private static final int CRLF = ('\r' << 8) | '\n';

    UpstreamHttpCodec(HttpDecoderConfig config) {
        init(new Decoder(config), new Encoder());
    }

    private final class Encoder extends HttpRequestEncoder {
        /** The head being encoded when it is a {@link ForwardedRequest}, until its headers are written; else null. */
        private ForwardedRequest forwarded;

        @Override
        protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
            if (msg instanceof HttpRequest request) {
                heads.add(HttpMethod.HEAD.equals(request.method()));
                forwarded = request instanceof ForwardedRequest f ? f : null;
            }
            try {
                super.encode(ctx, msg, out);
            } finally {
                forwarded = null;
            }
        }

        /**
         * A {@link ForwardedRequest}'s head: the client's fields as they came, less those the proxy's replace, then
         * the proxy's, mostly octets already. Anything else (trailers included) as Netty writes it.
         */
        @Override
        protected void encodeHeaders(HttpHeaders headers, ByteBuf buf) {
            ForwardedRequest own = forwarded;
            if (own == null) {
                super.encodeHeaders(headers, buf);
                return;
            }
            forwarded = null;
            for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence(); it.hasNext(); ) {
                Map.Entry<CharSequence, CharSequence> field = it.next();
                CharSequence name = field.getKey();
                if (!own.omits(name)) {
                    writeAscii(name, buf);
                    buf.writeShort(COLON_SP);
                    writeAscii(field.getValue(), buf);
                    buf.writeShort(CRLF);
                }
            }
            own.writeOwnFields(buf);
        }

        @Override
        protected void encodeInitialLine(ByteBuf buf, HttpRequest request) {
            ByteBufUtil.copy(request.method().asciiName(), buf);
            buf.writeByte(HttpConstants.SP);
            // Chars above 0xFF cannot come from a request line; a target made here is ASCII.
            buf.writeCharSequence(request.uri(), StandardCharsets.ISO_8859_1);
            buf.writeByte(HttpConstants.SP);
            buf.writeCharSequence(request.protocolVersion().text(), StandardCharsets.US_ASCII);
            buf.writeByte(HttpConstants.CR).writeByte(HttpConstants.LF);
        }
    }

    /** As Netty's encoder writes a header's name or value: one octet per char, {@code ?} for one above 0xFF. */
    private static void writeAscii(CharSequence s, ByteBuf buf) {
        if (s instanceof AsciiString a) {
            ByteBufUtil.copy(a, buf);
        } else {
            buf.writeCharSequence(s, StandardCharsets.US_ASCII);
        }
    }

    private final class Decoder extends HttpResponseDecoder {
        Decoder(HttpDecoderConfig config) {
            super(config);
        }

        // A server's responses mostly start with the same words and carry the same few fields: those are
        // taken from here, in the case they came in, rather than made anew for every response.

        @Override
        protected String splitFirstWordInitialLine(byte[] sb, int start, int length) {
            return KnownWords.HTTP_1_1.equals(sb, start, length) ? KnownWords.HTTP_1_1.text
                    : super.splitFirstWordInitialLine(sb, start, length);
        }

        @Override
        protected String splitSecondWordInitialLine(byte[] sb, int start, int length) {
            String known = KnownWords.find(KnownWords.STATUS_CODES, sb, start, length);
            return known != null ? known : super.splitSecondWordInitialLine(sb, start, length);
        }

        @Override
        protected String splitThirdWordInitialLine(byte[] sb, int start, int length) {
            String known = KnownWords.find(KnownWords.REASONS, sb, start, length);
            return known != null ? known : super.splitThirdWordInitialLine(sb, start, length);
        }

        @Override
        protected AsciiString splitHeaderName(byte[] sb, int start, int length) {
            AsciiString known = KnownWords.name(sb, start, length);
            return known != null ? known : super.splitHeaderName(sb, start, length);
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage msg) {
            if (((HttpResponse) msg).status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                return super.isContentAlwaysEmpty(msg);
            }
            Boolean head = heads.poll();
            return (head != null && head) || super.isContentAlwaysEmpty(msg);
        }
    }
}
