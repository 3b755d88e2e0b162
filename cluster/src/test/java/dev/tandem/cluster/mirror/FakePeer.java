package dev.tandem.cluster.mirror;

import dev.tandem.cluster.mirror.internal.FrameCipher;
import dev.tandem.cluster.mirror.internal.Handshake;
import dev.tandem.cluster.mirror.internal.Messages;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.GeneralSecurityException;

/**
 * A peer played by the test over a plain blocking socket: it runs the dialer's side of the handshake (with
 * whatever key and name it is given) and then sends and reads messages, so tests can do what a real node
 * never does: stop in the middle of a file, lie about a hash, offer a path outside the root.
 */
final class FakePeer implements AutoCloseable {

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private FrameCipher seal;
    private FrameCipher open;
    private int protocol = Handshake.PROTOCOL;

    private FakePeer(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Node a's address in {@link MirrorNodes}: the listener lets only the nodes' addresses in. */
    static final String NODE_A = "127.0.0.21";

    /** Connects from node a's address. */
    static FakePeer raw(InetSocketAddress to) throws IOException {
        return raw(to, InetAddress.getByName(NODE_A));
    }

    static FakePeer raw(InetSocketAddress to, InetAddress from) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(from, 0));
        s.connect(to, 2000);
        s.setSoTimeout(5000);
        return new FakePeer(s);
    }

    /** Connects and completes the handshake as node {@code name} with {@code key}; fails if the listener refuses. */
    static FakePeer authenticated(InetSocketAddress to, String name, byte[] key) throws Exception {
        return authenticated(to, name, key, Handshake.PROTOCOL);
    }

    /** The same, offering {@code protocol} (an older release offers 1); messages then read in what was agreed. */
    static FakePeer authenticated(InetSocketAddress to, String name, byte[] key, int protocol) throws Exception {
        FakePeer p = raw(to);
        Handshake h = new Handshake(key, true, name, protocol);
        ByteBuf b = Unpooled.buffer();
        try {
            h.writeClientHello(b);
            p.writeFrame(b);
            b.clear();
            p.readFrame(b);
            h.readServerHello(b);
            b.clear();
            h.writeClientFinish(b);
            p.writeFrame(b);
        } finally {
            b.release();
        }
        Handshake.SessionKeys k = h.keys();
        p.protocol = h.protocol();
        p.seal = FrameCipher.sealing(k.sendKey(), k.sendIv());
        p.open = FrameCipher.opening(k.receiveKey(), k.receiveIv());
        return p;
    }

    void writeFrame(ByteBuf body) throws IOException {
        byte[] bytes = new byte[body.readableBytes()];
        body.getBytes(body.readerIndex(), bytes);
        java.io.DataOutputStream d = new java.io.DataOutputStream(out);
        d.writeInt(bytes.length);
        d.write(bytes);
        d.flush();
    }

    void writeRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    void readFrame(ByteBuf into) throws IOException {
        int n = in.readInt();
        byte[] bytes = new byte[n];
        in.readFully(bytes);
        into.writeBytes(bytes);
    }

    /** Seals and sends a message (released). */
    void send(ByteBuf plain) throws IOException, GeneralSecurityException {
        ByteBuf frame = seal.seal(plain);
        plain.release();
        try {
            byte[] bytes = new byte[frame.readableBytes()];
            frame.readBytes(bytes);
            writeRaw(bytes);
        } finally {
            frame.release();
        }
    }

    /** Sends a FILE_DATA message with {@code content}. */
    void sendData(byte[] content, int from, int length) throws IOException, GeneralSecurityException {
        send(Messages.fileDataHeader(ByteBufAllocator.DEFAULT, length).writeBytes(content, from, length));
    }

    /** The next message that is not a summary. */
    Messages.Message receive() throws Exception {
        while (true) {
            ByteBuf frame = Unpooled.buffer();
            ByteBuf plain = null;
            try {
                readFrame(frame);
                plain = open.open(frame);
                Messages.Message m = Messages.decode(plain, protocol);
                if (m instanceof Messages.Summary) {
                    continue;
                }
                return m;
            } finally {
                frame.release();
                if (plain != null) {
                    plain.release();
                }
            }
        }
    }

    /** True once the listener has closed the connection (within the socket timeout). */
    boolean closedByListener() throws IOException {
        try {
            while (in.read() >= 0) {
                // frames sent before the close (a summary)
            }
            return true;
        } catch (EOFException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** Ends the connection with a reset, as a crash or a cut cable would. */
    void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
