package main

// Components the tests need beyond daprd's stable set. The build uses daprd's own
// `stablecomponents` tag (Redis Streams, RabbitMQ and in-memory pub/sub, in-memory state, mDNS name
// resolution among them); NATS JetStream is registered here the way daprd's cmd/daprd/components
// registers it behind its `allcomponents` tag.

import (
	"github.com/dapr/components-contrib/pubsub/jetstream"
	pubsubLoader "github.com/dapr/dapr/pkg/components/pubsub"
)

func init() {
	pubsubLoader.DefaultRegistry.RegisterComponent(jetstream.NewJetStream, "jetstream")
}
