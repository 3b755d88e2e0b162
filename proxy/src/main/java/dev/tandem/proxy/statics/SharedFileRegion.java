package dev.tandem.proxy.statics;

import io.netty.channel.DefaultFileRegion;

/**
 * A {@link DefaultFileRegion} over the cached, shared channel of an {@link OpenFile}: when the response is
 * done with it, it gives its reference back to the file instead of closing the channel (which the next
 * response is using).
 *
 * <p>It has to be a DefaultFileRegion, not just any FileRegion, for the kernel to copy the bytes: in Netty
 * 4.2.18, epoll's {@code AbstractEpollStreamChannel.doWriteSingle} sends {@code instanceof DefaultFileRegion}
 * with {@code sendfile(2)} ({@code LinuxSocket.sendFile}, which reads the region's channel through JNI), and
 * io_uring's {@code AbstractIoUringStreamChannel.filterOutboundMessage} wraps {@code instanceof
 * DefaultFileRegion} in {@code IoUringFileRegion}, which {@code splice(2)}s file -> pipe -> socket; any other
 * FileRegion is copied through a buffer there. NIO ends in {@code FileChannel.transferTo}, itself sendfile
 * on Linux. The file's bytes never enter the JVM.
 *
 * <p>{@code IoUringFileRegion} narrows the file offset and length to {@code int}, so under io_uring a
 * region must end below 2 GiB; {@link FileBody} sends what lies beyond through {@link CopyingFileRegion}.
 */
final class SharedFileRegion extends DefaultFileRegion {

    private final OpenFile file;

    /** Takes over a reference the caller already holds on {@code file}. */
    SharedFileRegion(OpenFile file, long position, long count) {
        super(file.channel(), position, count);
        this.file = file;
    }

    @Override
    protected void deallocate() {
        // Not super.deallocate(): that would close the shared channel.
        file.release();
    }
}
