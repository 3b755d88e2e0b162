package dev.tandem.proxy.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpConstants;
import io.netty.handler.codec.http.HttpDecoderConfig;
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
import java.util.List;

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

    UpstreamHttpCodec(HttpDecoderConfig config) {
        init(new Decoder(config), new Encoder());
    }

    private final class Encoder extends HttpRequestEncoder {
        @Override
        protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
            if (msg instanceof HttpRequest request) {
                heads.add(HttpMethod.HEAD.equals(request.method()));
            }
            super.encode(ctx, msg, out);
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
