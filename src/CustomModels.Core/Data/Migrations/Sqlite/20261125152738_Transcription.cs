using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CustomModels.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Transcription : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "WebhookSecretVersion",
                table: "organizations",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "transcriptions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    PublicId = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    OrganizationId = table.Column<long>(type: "INTEGER", nullable: false),
                    Language = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    ModelId = table.Column<long>(type: "INTEGER", nullable: true),
                    AudioFileName = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    AudioBlob = table.Column<string>(type: "TEXT", nullable: false),
                    ResultBlob = table.Column<string>(type: "TEXT", nullable: true),
                    DurationSeconds = table.Column<double>(type: "REAL", nullable: false),
                    DecodedSeconds = table.Column<double>(type: "REAL", nullable: false),
                    State = table.Column<int>(type: "INTEGER", nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    LeaseOwner = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    LeaseExpiresAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastError = table.Column<string>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    FinishedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    WebhookUrl = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    ResultUrl = table.Column<string>(type: "TEXT", maxLength: 2100, nullable: true),
                    WebhookState = table.Column<int>(type: "INTEGER", nullable: false),
                    WebhookAttempts = table.Column<int>(type: "INTEGER", nullable: false),
                    WebhookDueAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_transcriptions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_transcriptions_organizations_OrganizationId",
                        column: x => x.OrganizationId,
                        principalTable: "organizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "webhook_deliveries",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TranscriptionId = table.Column<long>(type: "INTEGER", nullable: false),
                    Attempt = table.Column<int>(type: "INTEGER", nullable: false),
                    Url = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    StatusCode = table.Column<int>(type: "INTEGER", nullable: true),
                    Error = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    AttemptedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    DurationMilliseconds = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_webhook_deliveries", x => x.Id);
                    table.ForeignKey(
                        name: "FK_webhook_deliveries_transcriptions_TranscriptionId",
                        column: x => x.TranscriptionId,
                        principalTable: "transcriptions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_transcriptions_OrganizationId_Id",
                table: "transcriptions",
                columns: new[] { "OrganizationId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_transcriptions_PublicId",
                table: "transcriptions",
                column: "PublicId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_transcriptions_State_Id",
                table: "transcriptions",
                columns: new[] { "State", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_transcriptions_WebhookState_WebhookDueAt",
                table: "transcriptions",
                columns: new[] { "WebhookState", "WebhookDueAt" });

            migrationBuilder.CreateIndex(
                name: "IX_webhook_deliveries_TranscriptionId_Id",
                table: "webhook_deliveries",
                columns: new[] { "TranscriptionId", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "webhook_deliveries");

            migrationBuilder.DropTable(
                name: "transcriptions");

            migrationBuilder.DropColumn(
                name: "WebhookSecretVersion",
                table: "organizations");
        }
    }
}
