package dev.tandem.testkit;

/**
 * What a {@link TestBackend} does with one request. Both methods run on the backend's event loop and must
 * not block it; {@link Respond} has the usual ones.
 */
@FunctionalInterface
public interface Behaviour {

    /**
     * The head arrived; the body (if any) has not been read yet. Answering or closing here is an early
     * response; otherwise {@link #onRequest} follows once the whole request is in.
     */
    default void onHead(BackendExchange x) {
    }

    /** The whole request arrived (not called when {@link #onHead} already answered or closed). */
    void onRequest(BackendExchange x);
}
