/*
 * A socket receive that completes into watched memory.
 *
 * Windows (Wine's ws2_32 conformance test): an overlapped WSARecv marks its
 * buffer's page when it is issued (Windows 10) or not at all (Windows 11), and
 * the completion itself marks nothing: the kernel writes the data through its
 * own mapping of the buffer.  Under Wine the data is written by Wine's unix
 * side into the program's own mapping, so the page reads as written after the
 * completion, with Wine's own write watch and through ww-wine alike: an
 * over-report, never a loss (documented in README.md, "Windows programs under
 * Wine").  This program pins each platform's documented behaviour: the data
 * arrives intact, and the pages reported after the completion are none on
 * Windows and exactly the buffer's page under Wine.
 */
#include <winsock2.h>
#include "wwtest.h"

static void *results[64];

/* A connected pair of loopback TCP sockets. */
static int socket_pair( SOCKET *a, SOCKET *b )
{
    struct sockaddr_in addr;
    int len = sizeof(addr);
    SOCKET listener = socket( AF_INET, SOCK_STREAM, IPPROTO_TCP );

    memset( &addr, 0, sizeof(addr) );
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl( INADDR_LOOPBACK );
    if (listener == INVALID_SOCKET || bind( listener, (struct sockaddr *)&addr, sizeof(addr) ) ||
        listen( listener, 1 ) || getsockname( listener, (struct sockaddr *)&addr, &len ))
        return 0;
    *a = WSASocketW( AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED );
    if (*a == INVALID_SOCKET || connect( *a, (struct sockaddr *)&addr, sizeof(addr) )) return 0;
    *b = accept( listener, NULL, NULL );
    closesocket( listener );
    return *b != INVALID_SOCKET;
}

static void test_overlapped_recv(void)
{
    static const char data[] = "written by the socket, not by the program";
    char *p = alloc_watch( 4, MEM_COMMIT, PAGE_READWRITE );
    WSAOVERLAPPED ov;
    WSABUF buf;
    SOCKET rx = INVALID_SOCKET, tx = INVALID_SOCKET;
    DWORD got = 0, flags = 0;
    ULONG_PTR at_issue, after;
    int ret, err;

    if (!check( p != NULL && socket_pair( &rx, &tx ), "recv-setup", "error %d", WSAGetLastError() ))
        return;
    ResetWriteWatch( p, 4 * P );
    memset( &ov, 0, sizeof(ov) );
    ov.hEvent = WSACreateEvent();
    buf.buf = p + P + 100;
    buf.len = P / 2;
    ret = WSARecv( rx, &buf, 1, NULL, &flags, &ov, NULL );
    err = ret ? WSAGetLastError() : 0;
    check( ret == SOCKET_ERROR && err == WSA_IO_PENDING, "recv-pending", "ret %d error %d", ret, err );

    /* At issue: the buffer's page or nothing (Windows 10 / 11). */
    at_issue = get_watch( WRITE_WATCH_FLAG_RESET, p, 4 * P, results, 64 );
    check( at_issue == 0 || (at_issue == 1 && results[0] == p + P), "recv-issue-marks-buffer-page-or-nothing",
           "%s", page_list( results, at_issue, p ) );

    send( tx, data, sizeof(data), 0 );
    ret = WSAGetOverlappedResult( rx, &ov, &got, TRUE, &flags );
    check( ret && got == sizeof(data) && !memcmp( buf.buf, data, sizeof(data) ), "recv-data-arrives",
           "ret %d, %lu bytes", ret, got );

    after = get_watch( 0, p, 4 * P, results, 64 );
    if (wine_version)
        check( after == 1 && results[0] == p + P, "recv-completion-reported-under-wine",
               "documented over-report: %s", page_list( results, after, p ) );
    else
        check( after == 0, "recv-completion-not-reported-on-windows", "%s", page_list( results, after, p ) );

    WSACloseEvent( ov.hEvent );
    closesocket( rx );
    closesocket( tx );
    VirtualFree( p, 0, MEM_RELEASE );
}

int main(void)
{
    WSADATA wsa;

    test_init( "ww-recv" );
    if (check( !WSAStartup( MAKEWORD( 2, 2 ), &wsa ), "wsastartup", "" ))
    {
        test_overlapped_recv();
        WSACleanup();
    }
    return test_end();
}
