DROP TABLE event_deliveries;
DROP TABLE webhook_subscriptions;
DROP TABLE outbox_events;
