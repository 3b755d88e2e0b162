package dev.tandem.proxy.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Once the TLS handshake is done, sets the connection up for the protocol ALPN agreed on: HTTP/2 for
 * {@code h2}, HTTP/1.1 for {@code http/1.1} and for clients that did not ask.
 */
final class ProtocolSelector extends ApplicationProtocolNegotiationHandler {

    private static final Logger log = LoggerFactory.getLogger(ProtocolSelector.class);

    private final ClientChannelInitializer pipelines;

    ProtocolSelector(ClientChannelInitializer pipelines) {
        super(ApplicationProtocolNames.HTTP_1_1);
        this.pipelines = pipelines;
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
        if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
            pipelines.addHttp2Handlers(ctx.pipeline());
        } else {
            pipelines.addHttp1Handlers(ctx.pipeline());
        }
    }

    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
        // Scanners, old clients and clients that distrust the certificate: common, and nothing to act on.
        log.debug("client {} TLS handshake failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (c instanceof SSLException || c instanceof java.io.IOException) {
            log.debug("client {} TLS error: {}", ctx.channel().remoteAddress(), c.toString());
        } else {
            log.info("client {} connection error before the protocol was chosen: {}", ctx.channel().remoteAddress(),
                    c.toString());
        }
        ctx.close();
    }
}
