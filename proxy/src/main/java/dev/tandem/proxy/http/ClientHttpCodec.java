package dev.tandem.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The HTTP/1.1 codec of a client connection: the {@link StrictRequestDecoder} and Netty's response encoder,
 * with decoding paced by demand. Each {@code read()} that reaches it decodes one more step (a request head with the end of
 * an empty body, or one piece of a body) from the bytes it holds, and reads the socket only when those bytes
 * hold no whole step. So however many requests a client pipelines in one write, the connection holds one
 * socket read of undecoded bytes and the one or two messages of the request being answered; the socket is
 * read again only as answers leave, and a client that keeps writing waits on its own full send buffer.
 *
 * <p>Netty's {@code HttpServerCodec} decodes everything a read brought and refuses (closing the connection)
 * once more than {@code maxPipelineDepth} requests wait for their answer; this codec never has more than one
 * waiting. What it keeps of {@code HttpServerCodec} is the encoder's knowledge of the request each response
 * answers: no body after a response to HEAD, no framing headers on a 2xx to CONNECT. (A request with both
 * {@code Transfer-Encoding} and {@code Content-Length} is a decoding failure in this Netty, answered 400 and
 * closed, so the codec's close after such a request is not needed.)
 *
 * <p>A {@code read()} that arrives while a decoded message is being handed on (the handler answers it at once,
 * from disk, and asks for the next) is taken up when the hand-off returns, so a deep pipeline is decoded in a
 * loop, not by recursion.
 */
final class ClientHttpCodec extends CombinedChannelDuplexHandler<ClientHttpCodec.RequestDecoder, ClientHttpCodec.ResponseEncoder> {

    /** The methods of the requests decoded and not yet answered, oldest first (one, or two for a moment). */
    private final ArrayDeque<HttpMethod> unanswered = new ArrayDeque<>(2);
    private final RequestDecoder decoder;

    ClientHttpCodec(HttpDecoderConfig config) {
        decoder = new RequestDecoder(config);
        init(decoder, new ResponseEncoder());
    }

    /** How many decoded requests wait for their response (for tests). */
    int unanswered() {
        return unanswered.size();
    }

    /** Undecoded bytes held. */
    int bufferedBytes() {
        return decoder.buffered();
    }

    /**
     * Some of a request has been taken in and its end not yet: a head decoded and its body still coming, or
     * lines of a head the decoder has parsed and no longer holds as bytes (the request line and the header
     * lines before the blank one). Only the decoder's state keeps those.
     */
    boolean insideMessage() {
        return decoder.insideMessage;
    }

    final class RequestDecoder extends StrictRequestDecoder {

        private ChannelHandlerContext ctx;
        /** Inside a decode step or its read-complete: a read() that arrives now is taken up when it returns. */
        private boolean handingOn;
        /** A read() arrived while handing on. */
        private boolean demand;
        /** The bytes held are part of a message: only the socket can complete it. */
        private boolean needBytes;
        private long decoded;
        private boolean insideMessage;

        RequestDecoder(HttpDecoderConfig config) {
            super(config, unanswered::add);
            // One decode step per channelRead: what is left waits in the cumulation for the next read().
            setSingleDecode(true);
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
            this.ctx = ctx;
            super.handlerAdded(ctx);
        }

        int buffered() {
            return actualReadableBytes();
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            int before = out.size();
            int readable = in.readableBytes();
            super.decode(ctx, in, out);
            decoded += out.size() - before;
            if (out.size() == before && in.readableBytes() < readable) {
                // Lines of a head parsed into the decoder's state, nothing handed on yet: a request has begun.
                insideMessage = true;
            }
            for (int i = before; i < out.size(); i++) {
                Object m = out.get(i);
                if (m instanceof LastHttpContent) {
                    insideMessage = false;
                } else if (m instanceof HttpRequest) {
                    insideMessage = true;
                }
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            long before = decoded;
            boolean outer = !handingOn;
            handingOn = true;
            try {
                super.channelRead(ctx, msg);
            } finally {
                handingOn = !outer;
            }
            needBytes = decoded == before;
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
            boolean outer = !handingOn;
            handingOn = true;
            try {
                super.channelReadComplete(ctx);
            } finally {
                handingOn = !outer;
            }
            if (outer) {
                serveDemand();
            }
        }

        /** A read() from the handlers after this codec. */
        void read() {
            demand = true;
            if (!handingOn) {
                serveDemand();
            }
        }

        /** Meets the demand from the bytes held while they hold whole steps, else from the socket. */
        private void serveDemand() {
            while (demand && ctx != null && !ctx.isRemoved()) {
                demand = false;
                if (needBytes || buffered() == 0) {
                    ctx.read();
                    return;
                }
                long before = decoded;
                handingOn = true;
                try {
                    // An empty buffer runs one decode step over what the cumulation holds.
                    super.channelRead(ctx, Unpooled.EMPTY_BUFFER);
                    needBytes = decoded == before;
                    // Reads the socket if the step produced nothing (the decoder's own rule with AUTO_READ off).
                    super.channelReadComplete(ctx);
                } catch (Exception e) {
                    ctx.fireExceptionCaught(e);
                    return;
                } finally {
                    handingOn = false;
                }
            }
        }
    }

    final class ResponseEncoder extends HttpResponseEncoder {

        private HttpMethod method;

        @Override
        public void read(ChannelHandlerContext ctx) {
            decoder.read();
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpResponse response) {
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                // An interim response: the final one is still to come for the same request.
                return super.isContentAlwaysEmpty(response);
            }
            method = unanswered.poll();
            return HttpMethod.HEAD.equals(method) || super.isContentAlwaysEmpty(response);
        }

        @Override
        protected void sanitizeHeadersBeforeEncode(HttpResponse response, boolean isAlwaysEmpty) {
            if (!isAlwaysEmpty && HttpMethod.CONNECT.equals(method)
                    && response.status().codeClass() == HttpStatusClass.SUCCESS) {
                // A 2xx to CONNECT turns the connection into a tunnel: it has no body to frame.
                response.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
                return;
            }
            super.sanitizeHeadersBeforeEncode(response, isAlwaysEmpty);
        }
    }
}
