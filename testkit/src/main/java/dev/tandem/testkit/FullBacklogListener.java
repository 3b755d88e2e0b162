package dev.tandem.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/**
 * A loopback address where connecting hangs until the caller's connect timeout: a listening socket that
 * never accepts, with its accept queue filled up. Linux drops a SYN to a listener whose accept queue is
 * full, so the handshake never completes; on loopback this is more dependable than a non-routable address.
 */
public final class FullBacklogListener implements AutoCloseable {

    private static final int MAX_FILLERS = 64;

    private final ServerSocket listener;
    private final List<Socket> fillers = new ArrayList<>();

    public FullBacklogListener() throws IOException {
        listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        try {
            fill();
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private void fill() throws IOException {
        for (int i = 0; i < MAX_FILLERS; i++) {
            Socket s = new Socket();
            fillers.add(s);
            try {
                s.connect(listener.getLocalSocketAddress(), 200);
            } catch (SocketTimeoutException full) {
                return;
            }
        }
        throw new IOException("the accept queue of " + listener.getLocalSocketAddress() + " did not fill up");
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    /** {@code 127.0.0.1:PORT}, as a config names a server. */
    public String hostPort() {
        return "127.0.0.1:" + address().getPort();
    }

    /**
     * A loopback address on which nothing listens, so that connecting is refused at once. (The port was
     * free a moment ago; another process could take it, which on a test machine is unlikely.)
     */
    public static InetSocketAddress refusingAddress() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return (InetSocketAddress) s.getLocalSocketAddress();
        }
    }

    @Override
    public void close() throws IOException {
        for (Socket s : fillers) {
            s.close();
        }
        listener.close();
    }
}
