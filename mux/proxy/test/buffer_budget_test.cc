// Buffer budgets: what every Half holds is charged exactly to the worker's and the connection's
// budgets through each producer and consumer operation, given back when the Half goes, and a
// budget calls its pressure callback once per crossing of its limit.
#include "mux/proxy/exchange/buffer_budget.h"

#include <gtest/gtest.h>

#include <string>

#include "codecs/message/events.h"
#include "mux/proxy/exchange/exchange.h"
#include "mux/proxy/legs/codec.h"
#include "mux/proxy/legs/pump.h"

namespace crossmux::mux::proxy {
namespace {

codecs::Bytes bytes_of(const std::string& s) {
  return codecs::as_bytes(s);
}

TEST(BufferBudget, EveryHalfOperationChargesWhatItHolds) {
  BufferBudget worker, connection;
  {
    Half a, b;
    a.share().bind(&worker, &connection);
    b.share().bind(&worker, nullptr);
    a.append(bytes_of(std::string(100, 'a')));
    b.append(bytes_of(std::string(50, 'b')));
    EXPECT_EQ(worker.held(), 150u);
    EXPECT_EQ(connection.held(), 100u);

    EXPECT_EQ(a.pending(1000).size(), 100u);
    a.written(60);  // the consumer took 60: they are no longer held
    EXPECT_EQ(a.held(), 40u);
    EXPECT_EQ(worker.held(), 90u);
    EXPECT_EQ(connection.held(), 40u);

    a.written(40);  // drained: the storage is dropped too
    EXPECT_EQ(connection.held(), 0u);
    b.discard();
    EXPECT_EQ(worker.held(), 0u);

    b.append(bytes_of("xyz"));
    b.reset();  // starts over, still bound
    EXPECT_EQ(worker.held(), 0u);
    b.append(bytes_of("xyz"));
    EXPECT_EQ(worker.held(), 3u);
  }
  EXPECT_EQ(worker.held(), 0u);  // destroyed Halves give their charge back
}

TEST(BufferBudget, AReplayKeepsWrittenBytesChargedUntilReleased) {
  BufferBudget worker;
  Half h;
  h.share().bind(&worker, nullptr);
  h.replay = true;
  h.append(bytes_of(std::string(300, 'r')));
  h.written(300);
  EXPECT_EQ(h.queued(), 0u);
  EXPECT_EQ(worker.held(), 300u);  // kept for a replay on another connection
  ASSERT_TRUE(h.rewind());
  EXPECT_EQ(h.pending(1000).size(), 300u);
  EXPECT_EQ(worker.held(), 300u);
  h.written(100);
  h.release_replay();
  EXPECT_EQ(worker.held(), 200u);  // the 100 written are gone, the 200 queued stay
  EXPECT_EQ(h.close_early(), 200u);
  EXPECT_EQ(worker.held(), 0u);
}

TEST(BufferBudget, PressureIsCalledOncePerCrossing) {
  BufferBudget budget(100);
  int calls = 0;
  budget.on_pressure([&] { ++calls; });
  Half h;
  h.share().bind(&budget, nullptr);
  h.append(bytes_of(std::string(80, 'x')));
  EXPECT_EQ(calls, 0);
  h.append(bytes_of(std::string(30, 'x')));
  EXPECT_TRUE(budget.over());
  EXPECT_EQ(calls, 1);
  h.append(bytes_of(std::string(10, 'x')));
  EXPECT_EQ(calls, 1);  // still over: no new crossing
  h.written(120);
  EXPECT_FALSE(budget.over());
  h.append(bytes_of(std::string(101, 'x')));
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(budget.overruns(), 2u);
}

// The limit is what may be held: exactly the limit is not over it, one byte more is.
TEST(BufferBudget, HoldingExactlyTheLimitIsNotOver) {
  BufferBudget budget(100);
  int calls = 0;
  budget.on_pressure([&] { ++calls; });
  BufferShare share;
  share.bind(&budget, nullptr);
  share.set(100);
  EXPECT_FALSE(budget.over());
  EXPECT_EQ(calls, 0);
  share.set(101);
  EXPECT_TRUE(budget.over());
  EXPECT_EQ(calls, 1);
  share.set(0);
}

// A share moved to other budgets (an exchange changing connection) takes its charge along:
// nothing stays charged to the budgets it left.
TEST(BufferBudget, RebindingMovesTheCharge) {
  BufferBudget worker, first, second;
  BufferShare share;
  share.bind(&worker, &first);
  share.set(70);
  share.bind(&worker, &second);
  EXPECT_EQ(first.held(), 0u);
  EXPECT_EQ(second.held(), 70u);
  EXPECT_EQ(worker.held(), 70u);
  share.set(0);
  EXPECT_EQ(worker.held(), 0u);
  EXPECT_EQ(second.held(), 0u);
}

struct DiscardingSink : codecs::EventSink {
  void on_head(codecs::StreamId, codecs::MessageHead&) override {}
  void on_data(codecs::StreamId, codecs::Bytes) override {}
  void on_trailers(codecs::StreamId, codecs::HeaderList&) override {}
  void on_end_of_message(codecs::StreamId) override {}
  void on_reset(codecs::StreamId, uint32_t) override {}
  void on_goaway(codecs::StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const codecs::Error&) override {}
};

// The pump is the consumer: what it writes into a codec stops being charged.
TEST(BufferBudget, PumpedBytesAreNoLongerCharged) {
  BufferBudget worker;
  Half h;
  h.share().bind(&worker, nullptr);
  codecs::MessageHead head;
  head.method = "POST";
  head.authority = "a.test";
  head.path = "/";
  head.framing = codecs::Framing::KnownLength;
  head.content_length = 40000;
  h.take_head(head);
  h.head_ready = true;
  h.append(bytes_of(std::string(40000, 'p')));
  h.end_received = true;
  DiscardingSink sink;
  auto codec = make_h1_client(sink, CodecLimits{});
  codecs::StreamId stream = 0;
  auto r = pump(h, *codec, stream);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 40000u);
  EXPECT_TRUE(h.end_sent);
  EXPECT_EQ(worker.held(), 0u);
}

}  // namespace
}  // namespace crossmux::mux::proxy
