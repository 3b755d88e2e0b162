package dev.tandem.proxy.statics;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelProgressiveFuture;
import io.netty.channel.ChannelProgressiveFutureListener;
import io.netty.channel.ChannelProgressivePromise;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;

/**
 * Writes the body of a file response: from memory for small files (see {@link FileLookup}), otherwise zero
 * copy on plaintext connections and chunks through the JVM where the bytes must be encrypted. Either way
 * the response ends with its {@code LastHttpContent}, whose write future is returned, so that the
 * connection takes its next request only once the whole body has left.
 */
final class FileBody {

    /** Offsets io_uring's splice path can address (it narrows them to int). */
    private static final long SPLICE_LIMIT = Integer.MAX_VALUE;

    private FileBody() {
    }

    /**
     * Writes bytes {@code [offset, offset + count)} of {@code file} and the end of the response, taking over
     * one reference the caller holds on {@code file}.
     *
     * @param chunked  the connection needs the bytes in the JVM (TLS); its pipeline has a ChunkedWriteHandler
     * @param progress called each time part of a file region or of the chunks has left
     */
    static ChannelFuture write(ChannelHandlerContext ctx, OpenFile file, long offset, long count, boolean chunked,
                               Runnable progress) {
        if (count == 0) {
            file.release();
            return ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        if (file.content() != null) {
            // In memory (see FileLookup): the slice holds the buffer for as long as the write needs it, and
            // leaves with the head in one writev; over TLS the handler encrypts it like any other content.
            ByteBuf body = file.content().retainedSlice((int) offset, (int) count);
            file.release();
            return ctx.writeAndFlush(new DefaultLastHttpContent(body, EmptyHttpHeaders.INSTANCE));
        }
        if (chunked) {
            SharedChunkedFile chunks;
            try {
                chunks = new SharedChunkedFile(file, offset, count);
            } catch (IOException e) {
                // The channel is open while we hold a reference, so this is not expected; fail the response.
                file.release();
                return ctx.newFailedFuture(e);
            }
            // HttpChunkedInput ends with the LastHttpContent itself.
            return ctx.writeAndFlush(new HttpChunkedInput(chunks), progressive(ctx, progress));
        }
        long end = offset + count;
        if (end > SPLICE_LIMIT && ctx.channel() instanceof IoUringSocketChannel) {
            if (offset < SPLICE_LIMIT) {
                if (!file.retain()) {
                    throw new IllegalStateException("a file with a reference held cannot be closed");
                }
                ctx.write(new SharedFileRegion(file, offset, SPLICE_LIMIT - offset), progressive(ctx, progress));
                offset = SPLICE_LIMIT;
            }
            ctx.write(new CopyingFileRegion(file, offset, end - offset), progressive(ctx, progress));
        } else {
            ctx.write(new SharedFileRegion(file, offset, count), progressive(ctx, progress));
        }
        // A region that fails fails this write too (the channel is closed by then), which ends the response.
        return ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    /** A promise that reports the transports' progress on a region or on chunks (both report it). */
    private static ChannelProgressivePromise progressive(ChannelHandlerContext ctx, Runnable progress) {
        ChannelProgressivePromise p = ctx.newProgressivePromise();
        p.addListener(new ChannelProgressiveFutureListener() {
            @Override
            public void operationProgressed(ChannelProgressiveFuture future, long done, long total) {
                progress.run();
            }

            @Override
            public void operationComplete(ChannelProgressiveFuture future) {
                if (!future.isSuccess()) {
                    // The connection is gone or broken: close it (a no-op when it already is).
                    future.channel().close();
                }
            }
        });
        return p;
    }
}
